//! Reading what a browser rendered, from its DOM as `--dump-dom` prints
//! it: an element's text as a person sees it (tags gone, entities
//! decoded), never what a `<script>` or `<style>` holds.

/// The inside of the first element whose start tag holds `marker` (such
/// as `id="server-state"`), up to its end tag. Elements of the same name
/// nested inside it are not expected (`pre`, `tbody`, `dd`, `tr`).
pub fn inside<'a>(dom: &'a str, tag: &str, marker: &str) -> Option<&'a str> {
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(at) = dom[from..].find(&open) {
        let start = from + at;
        let end_of_tag = start + dom[start..].find('>')?;
        if dom[start..end_of_tag].contains(marker) {
            let body = end_of_tag + 1;
            let close = body + dom[body..].find(&format!("</{tag}>"))?;
            return Some(&dom[body..close]);
        }
        from = end_of_tag;
    }
    None
}

/// Every element `tag` directly in `html`, their insides, in order.
pub fn all<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let body = &after[tag_end + 1..];
        let Some(end) = body.find(&close) else { break };
        found.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    found
}

/// The text a person sees in `html`: script, style and noscript
/// contents dropped, tags removed, entities decoded, spaces collapsed.
pub fn text(html: &str) -> String {
    let mut visible = html.to_string();
    for tag in ["script", "style", "noscript"] {
        while let Some(start) = visible.find(&format!("<{tag}")) {
            let close = format!("</{tag}>");
            let end = visible[start..]
                .find(&close)
                .map_or(visible.len(), |e| start + e + close.len());
            visible.replace_range(start..end, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in visible.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_what_shows() {
        let html = r#"<p>a &lt;b&gt; <b>c</b></p><script>var hidden = 1;</script><pre id="x">&amp;lt;</pre>"#;
        assert_eq!(text(html), "a <b> c &lt;");
        assert_eq!(inside(html, "pre", r#"id="x""#), Some("&amp;lt;"));
        assert_eq!(all("<tr><td>1</td><td>2</td></tr>", "td"), ["1", "2"]);
    }
}
