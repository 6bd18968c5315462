//! The macro never panics, whatever the input: every valid server below is
//! cut short and has each of its tokens deleted in turn, and every result
//! must come back as tokens (code or `compile_error!`), never a panic; when
//! the input still is an impl block, the code written beside its errors
//! parses.
//! And valid Rust is accepted: servers generated from every shape of name,
//! pattern, attribute, visibility and state the language allows expand
//! without an error, into code that parses.

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

/// No panic; and when the input is an impl block, the output (the user's
/// block, the errors, and everything written beside them) parses as Rust.
fn expand_must_not_panic(args: TokenStream, input: TokenStream) {
    let shown = input.to_string();
    let is_impl = syn::parse2::<syn::ItemImpl>(input.clone()).is_ok();
    let result = std::panic::catch_unwind(|| crate::expand::gen_server(args, input));
    let Ok(output) = result else {
        panic!("the macro panicked on: {shown}");
    };
    if is_impl {
        syn::parse2::<syn::File>(output)
            .unwrap_or_else(|e| panic!("the expansion does not parse ({e}) for: {shown}"));
    }
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

/// The shapes a valid handler can take, one list per dimension.
const NAMES: [&str; 7] = [
    "get", "r#type", "r#match", "type_", "get_x", "getX", "__double",
];
const VISIBILITIES: [&str; 6] = [
    "",
    "pub",
    "pub(crate)",
    "pub(super)",
    "pub(self)",
    "pub(in crate)",
];
const MARKERS: [&str; 5] = [
    "#[call]",
    "#[cast]",
    "#[call(pub)]",
    "#[cast(pub(crate))]",
    "#[genserver_core::call]",
];
const ATTRIBUTES: [&str; 8] = [
    "",
    "#[inline]",
    "#[must_use]",
    "#[allow(unused_variables, clippy::all)]",
    "#[tracing::instrument(skip(self))]",
    "#[cfg(all())]",
    "/// Docs.\n#[doc = \"more\"]",
    "#[deprecated = \"old\"]",
];
const ARGUMENTS: [&str; 14] = [
    "",
    "x: u8",
    "mut x: u8",
    "(a, b): (u8, u8)",
    "_: u8",
    "_x: u8, x: u8",
    "Point { x, y }: Point",
    "r#in: u8, r#fn: String",
    "reply: u8, ctx: u8, message: u8, request: u8",
    "span: u8, args: u8, self_: u8, handle: u8, token: u8",
    "arg0: u8, (c, d): (u8, u8), arg1: u8",
    "[a, b]: [u8; 2]",
    "ref r: String",
    "x: Vec<Self>",
];
const RECEIVERS: [&str; 2] = ["&self", "&mut self"];
const STATES: [&str; 5] = [
    "Counter",
    "Cache<K>",
    "self::Counter",
    "crate::m::Counter",
    "Pair<A, B>",
];

/// A deterministic walk over the product of the dimensions.
fn pick<'a>(list: &[&'a str], seed: &mut u64) -> &'a str {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    list[(*seed >> 33) as usize % list.len()]
}

fn generated_server(seed: &mut u64) -> String {
    let state = pick(&STATES, seed);
    let generics = match state {
        "Cache<K>" => "<K: Send + 'static>",
        "Pair<A, B>" => "<A, B>",
        _ => "",
    };
    let where_clause = if state == "Pair<A, B>" {
        "where A: Send + 'static, B: Send + 'static"
    } else {
        ""
    };
    let mut handlers = String::new();
    let mut taken = Vec::new();
    for _ in 0..3 {
        let name = pick(&NAMES, seed);
        if taken.contains(&name) {
            continue;
        }
        taken.push(name);
        let marker = pick(&MARKERS, seed);
        let cast = marker.contains("cast");
        let asyncness = if pick(&["", "async"], seed) == "async" {
            "async "
        } else {
            ""
        };
        let ctx = if pick(&["", "ctx"], seed) == "ctx" {
            ", ctx: &mut Context<Self>"
        } else {
            ""
        };
        let args = pick(&ARGUMENTS, seed);
        let args = if args.is_empty() {
            String::new()
        } else {
            format!(", {args}")
        };
        let output = if cast {
            ""
        } else {
            pick(&["", " -> u8", " -> Vec<Self>", " -> ()"], seed)
        };
        handlers.push_str(&format!(
            "{attr}\n{marker}\n{vis} {asyncness}fn {name}({receiver}{args}{ctx}){output} {{ todo!() }}\n",
            attr = pick(&ATTRIBUTES, seed),
            vis = pick(&VISIBILITIES, seed),
            receiver = pick(&RECEIVERS, seed),
        ));
    }
    let init = pick(
        &[
            "",
            "fn init() -> Result<Self, String> { todo!() }",
            "async fn init((a, b): (u8, u8), ctx: &mut Context<Self>) -> Result<Option<Self>, String> { todo!() }",
            "fn init(r#type: u8, _: String) -> std::io::Result<Self> { todo!() }",
        ],
        seed,
    );
    format!(
        "impl{generics} {state} {where_clause} {{
            const LIMIT: u8 = 3;
            fn helper(&self) -> u8 {{ Self::LIMIT }}
            {init}
            {handlers}
            fn handle_info(&mut self, _msg: Info<()>) {{}}
        }}"
    )
}

#[test]
fn generated_valid_servers_expand_without_errors() {
    let mut seed = 7;
    for _ in 0..2000 {
        let server = generated_server(&mut seed);
        let input: TokenStream = server.parse().unwrap_or_else(|e| panic!("{e}: {server}"));
        let args: TokenStream = pick(&["", "info = ()", "crate = ::genserver_core"], &mut seed)
            .parse()
            .unwrap();
        let output = std::panic::catch_unwind(|| crate::expand::gen_server(args, input))
            .unwrap_or_else(|_| panic!("the macro panicked on: {server}"));
        let text = output.to_string();
        assert!(
            !text.contains("compile_error"),
            "a valid server was rejected: {server}\n{text}"
        );
        syn::parse2::<syn::File>(output).unwrap_or_else(|e| panic!("{e}: {server}"));
    }
}
