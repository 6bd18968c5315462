//! What the macro reads off a type as the user wrote it: whether it holds
//! a borrow that cannot travel in a message, the owned type to suggest
//! instead, and how to print a type in a message.
//!
//! ```text
//! &str                          -> borrows; suggest `String`
//! Vec<&[u8]>                    -> borrows; suggest `Vec<Vec<u8>>`
//! &dyn Fn(u8)                   -> borrows; suggest `Box<dyn Fn(u8) + Send>`
//! &'static str                  -> lives as long as the server: travels
//! Box<dyn Fn(&mut u8) + Send>   -> higher-ranked: borrows nothing, travels
//! fn(&str) -> usize             -> higher-ranked: borrows nothing, travels
//! ```

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Type;
use syn::visit_mut::VisitMut;

/// The owned type to suggest for a `ty` that holds a borrow anywhere
/// (`&str` is `String`, `Vec<&[u8]>` is `Vec<Vec<u8>>`); `None` if it holds
/// none. Not a borrow: `&'static T`, which lives as long as the server, and
/// a reference inside a `Fn(..)`/`FnMut(..)`/`FnOnce(..)` signature, a
/// `fn(..)` pointer or under `for<'a>`, which is higher-ranked: the
/// function is given the borrow when it is called, and holds none.
pub(crate) fn owned(ty: &Type) -> Option<Type> {
    let mut owned = ty.clone();
    let mut own = Own { borrows: false };
    own.visit_type_mut(&mut owned);
    own.borrows.then_some(owned)
}

/// `true` if `ty` can be written as a message's type: it holds no borrow
/// and names no `impl Trait` (which only a signature may).
pub(crate) fn can_travel(ty: &Type) -> bool {
    struct ImplTrait(bool);
    impl VisitMut for ImplTrait {
        fn visit_type_impl_trait_mut(&mut self, _: &mut syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut found = ImplTrait(false);
    found.visit_type_mut(&mut ty.clone());
    !found.0 && owned(ty).is_none()
}

/// Rewrites every borrow it meets into its owned form, and says whether
/// it met one.
struct Own {
    borrows: bool,
}

impl VisitMut for Own {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Reference(reference) = ty
            && reference
                .lifetime
                .as_ref()
                .is_none_or(|l| l.ident != "static")
        {
            self.borrows = true;
            let mut elem = (*reference.elem).clone();
            self.visit_type_mut(&mut elem);
            *ty = owned_form(elem);
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }

    /// `fn(&u8) -> &u8`: the pointer's references are its own parameters.
    fn visit_type_fn_ptr_mut(&mut self, _: &mut syn::TypeFnPtr) {}

    /// `Fn(&mut u8) -> &str`: the closure's parameters, higher-ranked.
    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        _: &mut syn::ParenthesizedGenericArguments,
    ) {
    }

    /// `dyn for<'a> Visit<&'a u8>`: bound by the `for`, not by the caller.
    fn visit_trait_bound_mut(&mut self, bound: &mut syn::TraitBound) {
        if bound.lifetimes.is_none() {
            syn::visit_mut::visit_trait_bound_mut(self, bound);
        }
    }
}

/// What owns the data a `&T` points at: `String` for `str`, `Vec<T>` for
/// `[T]`, `Box<dyn Trait + Send>` for a trait object, `T` itself otherwise.
fn owned_form(elem: Type) -> Type {
    const UNSIZED: [(&str, &str); 4] = [
        ("str", "String"),
        ("Path", "PathBuf"),
        ("OsStr", "OsString"),
        ("CStr", "CString"),
    ];
    match elem {
        Type::Path(mut path) if path.qself.is_none() => {
            if let Some(last) = path.path.segments.last_mut()
                && last.arguments.is_empty()
                && let Some((_, owner)) =
                    UNSIZED.iter().find(|(borrowed, _)| last.ident == borrowed)
            {
                last.ident = syn::Ident::new(owner, last.ident.span());
            }
            Type::Path(path)
        }
        Type::Slice(slice) => {
            let elem = &slice.elem;
            syn::parse_quote!(Vec<#elem>)
        }
        Type::Paren(paren) => owned_form(*paren.elem),
        Type::TraitObject(mut object) => {
            boxed_bounds(&mut object.bounds);
            syn::parse_quote!(Box<#object>)
        }
        Type::ImplTrait(object) => {
            let mut bounds = object.bounds;
            boxed_bounds(&mut bounds);
            syn::parse_quote!(Box<dyn #bounds>)
        }
        elem => elem,
    }
}

/// A trait object's bounds, as a message's `Box<dyn ..>`: `Send`, and no
/// lifetime but the default `'static`.
fn boxed_bounds(bounds: &mut syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>) {
    let kept: Vec<syn::TypeParamBound> = std::mem::take(bounds)
        .into_iter()
        .filter(|bound| !matches!(bound, syn::TypeParamBound::Lifetime(_)))
        .collect();
    let has_send = kept.iter().any(|bound| {
        matches!(bound, syn::TypeParamBound::Trait(t)
            if t.path.segments.last().is_some_and(|s| s.ident == "Send"))
    });
    bounds.extend(kept);
    if !has_send {
        bounds.push(syn::parse_quote!(Send));
    }
}

/// A type as a person writes it, for messages: `&mut Vec<u8>`,
/// `Box<dyn Fn(&mut u8) + Send>`, `[u8; 4]`, `fn(u8) -> u8`.
pub(crate) fn type_text(ty: &Type) -> String {
    let mut out = String::new();
    write_tokens(ty.to_token_stream(), &mut out);
    out
}

/// One printed token: a word (identifier, literal, lifetime), an operator
/// (`::` and `->` joined), or a delimited group.
enum Token {
    Word(String),
    Op(String),
    Group(Delimiter, TokenStream),
}

fn tokens(stream: TokenStream) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut joint: Option<char> = None;
    for tree in stream {
        let pending = joint.take();
        match tree {
            TokenTree::Punct(punct) => {
                let c = punct.as_char();
                match (pending, c) {
                    (Some(':'), ':') => out.push(Token::Op("::".into())),
                    (Some('-'), '>') => out.push(Token::Op("->".into())),
                    (Some('='), '>') => out.push(Token::Op("=>".into())),
                    (pending, c) => {
                        if let Some(p) = pending {
                            out.push(Token::Op(p.to_string()));
                        }
                        if punct.spacing() == Spacing::Joint && matches!(c, ':' | '-' | '=' | '\'')
                        {
                            joint = Some(c);
                        } else {
                            out.push(Token::Op(c.to_string()));
                        }
                    }
                }
            }
            other => {
                let lifetime = pending == Some('\'');
                if let Some(p) = pending.filter(|_| !lifetime) {
                    out.push(Token::Op(p.to_string()));
                }
                out.push(match other {
                    TokenTree::Group(group) => Token::Group(group.delimiter(), group.stream()),
                    TokenTree::Ident(ident) if lifetime => Token::Word(format!("'{ident}")),
                    other => Token::Word(other.to_string()),
                });
            }
        }
    }
    if let Some(p) = joint {
        out.push(Token::Op(p.to_string()));
    }
    out
}

/// Keywords a parenthesised type follows with a space.
const SPACED_KEYWORDS: [&str; 6] = ["mut", "const", "dyn", "impl", "as", "for"];

fn write_tokens(stream: TokenStream, out: &mut String) {
    let mut prev: Option<Token> = None;
    // `*` after a word is multiplication (in an array length), else a pointer.
    let mut binary_star = false;
    for token in tokens(stream) {
        if let Some(prev) = &prev
            && space_between(prev, &token, binary_star)
        {
            out.push(' ');
        }
        binary_star = matches!(&token, Token::Op(op) if op == "*")
            && matches!(&prev, Some(Token::Word(_) | Token::Group(..)));
        match &token {
            Token::Word(word) | Token::Op(word) => out.push_str(word),
            Token::Group(delimiter, inner) => {
                let (open, close) = match delimiter {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                write_tokens(inner.clone(), out);
                out.push_str(close);
            }
        }
        prev = Some(token);
    }
}

fn space_between(prev: &Token, next: &Token, prev_binary_star: bool) -> bool {
    let op =
        |token: &Token, ops: &[&str]| matches!(token, Token::Op(o) if ops.contains(&o.as_str()));
    if op(next, &[",", ";", "::", ">", ":"]) || op(prev, &["::", "<", "&", "?"]) {
        return false;
    }
    if op(prev, &["*"]) {
        return prev_binary_star;
    }
    if op(prev, &[",", ";", ">", ":", "+", "=", "->", "=>", "!"]) {
        return true;
    }
    match next {
        Token::Op(o) if o == "<" => op(prev, &["->", "+", "=", "=>"]),
        Token::Op(o) if o == "*" => matches!(prev, Token::Word(_) | Token::Group(..)),
        // `Fn(..)` and `fn(..)`, but `&mut (u8, u8)`, `&'a [u8]`.
        Token::Group(Delimiter::Parenthesis, _) => match prev {
            Token::Word(word) => SPACED_KEYWORDS.contains(&word.as_str()) || word.starts_with('\''),
            _ => true,
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn types_print_as_written() {
        for text in [
            "&mut u8",
            "&'a str",
            "&'static [u8]",
            "&mut Vec<i64>",
            "Box<dyn Fn(&mut u8) + Send>",
            "Box<dyn FnMut(&str) -> usize + Send + 'static>",
            "Box<dyn for<'a> Fn(&'a u8) -> &'a u8 + Send>",
            "fn(u8) -> u8",
            "for<'a> fn(&'a str) -> &'a str",
            "*const u8",
            "*mut [u8]",
            "[u8; 4]",
            "[u8; N * 2]",
            "&[&str]",
            "&mut [u8]",
            "&mut (u8, u8)",
            "(u8, String)",
            "()",
            "Vec<Vec<u8>>",
            "Result<Option<Self>, String>",
            "impl Iterator<Item = u8> + Send",
            "<T as Trait>::Assoc",
            "Self::Assoc",
            "::std::string::String",
            "std::collections::HashMap<String, Vec<&'a str>>",
            "Option<Box<dyn std::error::Error + Send + Sync>>",
            "Context<Other>",
            "r#type",
            "!",
        ] {
            assert_eq!(type_text(&ty(text)), text);
        }
    }

    fn suggestion(text: &str) -> Option<String> {
        owned(&ty(text)).map(|owned| type_text(&owned))
    }

    #[test]
    fn borrows_are_found_and_owned_forms_suggested() {
        for (borrowed, owned) in [
            ("&str", "String"),
            ("&mut str", "String"),
            ("&'a str", "String"),
            ("&[u8]", "Vec<u8>"),
            ("&mut Vec<i64>", "Vec<i64>"),
            ("Vec<&str>", "Vec<String>"),
            ("Vec<&[u8]>", "Vec<Vec<u8>>"),
            ("Option<&mut u8>", "Option<u8>"),
            ("(u8, &str)", "(u8, String)"),
            ("&Path", "PathBuf"),
            ("&std::path::Path", "std::path::PathBuf"),
            ("&dyn Fn(u8)", "Box<dyn Fn(u8) + Send>"),
            ("&mut dyn Write", "Box<dyn Write + Send>"),
            ("&(dyn Write + Send + 'a)", "Box<dyn Write + Send>"),
            ("&impl Display", "Box<dyn Display + Send>"),
            ("&&str", "String"),
            ("&'static Vec<&str>", "&'static Vec<String>"),
        ] {
            assert_eq!(suggestion(borrowed).as_deref(), Some(owned), "{borrowed}");
        }
    }

    #[test]
    fn owned_and_higher_ranked_types_borrow_nothing() {
        for text in [
            "String",
            "u8",
            "&'static str",
            "&'static [u8]",
            "Vec<&'static str>",
            "Box<dyn Fn(&mut u8) + Send>",
            "Box<dyn FnMut(&str) -> Vec<&str> + Send>",
            "Box<dyn FnOnce(&[u8]) + Send + 'static>",
            "std::sync::Arc<dyn Fn(&u8) -> bool + Send + Sync>",
            "fn(&str) -> usize",
            "for<'a> fn(&'a str) -> &'a str",
            "Vec<fn(&mut u8)>",
            "Box<dyn for<'a> Visit<&'a u8> + Send>",
            "Option<Box<dyn for<'a> Fn(&'a u8) -> &'a u8 + Send>>",
        ] {
            assert_eq!(suggestion(text), None, "{text}");
        }
    }
}
