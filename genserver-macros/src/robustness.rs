//! The macro never panics, whatever the input: every valid server below is
//! cut short and has each of its tokens deleted in turn, and every result
//! must come back as tokens (code or `compile_error!`), never a panic.

use proc_macro2::{TokenStream, TokenTree};

const SERVER: &str = r#"
    impl<K: Send + 'static> Cache<K> where K: Clone {
        async fn init(a: u32, (b, c): (u8, u8), ctx: &mut Context<Self>) -> Result<Self, String> { todo!() }
        /// Docs.
        #[call] #[cfg(all())]
        pub async fn get(&self, key: K, reply: ReplyTo<Option<K>>, ctx: &mut Context<Self>) {}
        #[cast] fn put(&mut self, _: K, mut v: Vec<Self>) {}
        #[call(x)] fn bad(self) -> impl Trait {}
        fn handle_info(&mut self, msg: Info<Tick>, ctx: &mut Context<Self>) {}
        fn handle_continue(&mut self, arg: Self::Assoc) {}
        fn terminate(&self, reason: &ExitReason) {}
        fn handle_infos(&self) {}
        const X: u8 = 1;
        type T = u8;
        m!();
    }
"#;

fn flatten(stream: TokenStream, out: &mut Vec<TokenTree>) {
    for tree in stream {
        if let TokenTree::Group(group) = &tree {
            out.push(tree.clone());
            flatten(group.stream(), out);
        } else {
            out.push(tree);
        }
    }
}

/// The stream with its `skip`-th token (counting into groups) removed.
fn without(stream: TokenStream, skip: usize, at: &mut usize) -> TokenStream {
    let mut out = TokenStream::new();
    for tree in stream {
        let index = *at;
        *at += 1;
        match tree {
            TokenTree::Group(group) => {
                let inner = without(group.stream(), skip, at);
                if index != skip {
                    let mut rebuilt = proc_macro2::Group::new(group.delimiter(), inner);
                    rebuilt.set_span(group.span());
                    out.extend([TokenTree::Group(rebuilt)]);
                }
            }
            other if index != skip => out.extend([other]),
            _ => {}
        }
    }
    out
}

fn expand_must_not_panic(args: TokenStream, input: TokenStream) {
    let shown = input.to_string();
    let result = std::panic::catch_unwind(|| crate::expand::gen_server(args, input));
    assert!(result.is_ok(), "the macro panicked on: {shown}");
}

#[test]
fn every_mutation_of_a_server_expands_without_panicking() {
    let server: TokenStream = SERVER.parse().unwrap();
    let mut tokens = Vec::new();
    flatten(server.clone(), &mut tokens);
    for skip in 0..tokens.len() {
        expand_must_not_panic(TokenStream::new(), without(server.clone(), skip, &mut 0));
    }
    let flat: Vec<TokenTree> = server.clone().into_iter().collect();
    for len in 0..flat.len() {
        expand_must_not_panic(TokenStream::new(), flat[..len].iter().cloned().collect());
    }
    for args in [
        "info",
        "info =",
        "crate",
        "crate = ",
        "info = u8, info = u8",
        "x = y",
        "=",
        "info = u8 crate",
    ] {
        expand_must_not_panic(args.parse().unwrap(), server.clone());
    }
}
