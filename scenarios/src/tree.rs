//! A tolerant, span-keeping reader of RON text, and field paths into it.
//!
//! serde and ron give typed values but no positions for them. This module reads the same
//! text into a small untyped tree where every node knows its byte span, so that
//! - a semantic error's field path (`links[0].forward.impairments[1].Bernoulli.p`) can be
//!   turned into a line and column of the scenario file, and
//! - a sweep can replace the value at a path in the canonical RON text of a scenario and
//!   let ron re-read the result with full type checking.
//!
//! It never panics and gives up (returns `None`) on anything it does not understand;
//! ron remains the authority on what is valid.

use std::fmt;

/// Deepest nesting the reader follows before giving up (ron's own default limit is 128).
const MAX_DEPTH: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Ident,
    Literal,
    Punct(u8),
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// One value of the text, with its byte span.
#[derive(Debug)]
pub(crate) struct Node {
    pub start: usize,
    pub end: usize,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Number, string, char, bool or a bare identifier (unit variant, `None`).
    Atom(String),
    /// `Name(...)` or `(...)`.
    Group { name: Option<String>, body: Body },
    /// `[...]`
    List(Vec<Node>),
    /// `{k: v, ...}`
    Map(Vec<(Node, Node)>),
}

#[derive(Debug)]
enum Body {
    Fields(Vec<(String, Node)>),
    Items(Vec<Node>),
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// `.name`: a struct field, a map key, a variant name, or a tuple position (`.0`).
    Field(String),
    /// `[i]`: a list element or tuple position.
    Index(usize),
}

impl fmt::Display for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Field(n) => write!(f, ".{n}"),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Formats path segments as `a.b[0].c`.
pub(crate) fn path_to_string(segs: &[Seg]) -> String {
    let s: String = segs.iter().map(|s| s.to_string()).collect();
    s.strip_prefix('.').map(str::to_string).unwrap_or(s)
}

/// Parses `links[0].forward.impairments[1].Bernoulli.p`.
pub(crate) fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let b = path.as_bytes();
    let mut i = 0;
    let mut expect_name = true;
    while i < b.len() {
        match b[i] {
            b'[' => {
                let close = path[i..]
                    .find(']')
                    .map(|c| c + i)
                    .ok_or_else(|| format!("unclosed `[` at byte {i}"))?;
                let idx = path[i + 1..close]
                    .parse::<usize>()
                    .map_err(|_| format!("`[{}]` is not a list index", &path[i + 1..close]))?;
                segs.push(Seg::Index(idx));
                i = close + 1;
                expect_name = false;
            }
            b'.' if !expect_name => {
                i += 1;
                expect_name = true;
            }
            c if expect_name && (c.is_ascii_alphanumeric() || c == b'_') => {
                let end = path[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(path.len(), |e| e + i);
                segs.push(Seg::Field(path[i..end].to_string()));
                i = end;
                expect_name = false;
            }
            _ => {
                let c = path[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "unexpected `{c}` at byte {i}; a path looks like `links[0].forward.impairments[1].Bernoulli.p`"
                ));
            }
        }
    }
    if segs.is_empty() || expect_name {
        return Err("a path looks like `links[0].forward.impairments[1].Bernoulli.p`".into());
    }
    Ok(segs)
}

/// Removes `//` and `/* */` comments (outside strings), keeping everything else.
pub(crate) fn strip_comments(src: &str) -> String {
    match tokenize(src) {
        Some(tokens) => {
            let mut out = String::with_capacity(src.len());
            let mut prev_end: Option<usize> = None;
            for t in tokens {
                if let Some(p) = prev_end
                    && p != t.start
                {
                    out.push(' ');
                }
                out.push_str(&src[t.start..t.end]);
                prev_end = Some(t.end);
            }
            out
        }
        None => src.to_string(),
    }
}

fn tokenize(src: &str) -> Option<Vec<Token>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| n + i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                loop {
                    if i + 1 >= b.len() {
                        return None;
                    }
                    if b[i] == b'/' && b[i + 1] == b'*' {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b[i + 1] == b'/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i = skip_quoted(b, i, b'"')?;
                out.push(Token {
                    tok: Tok::Literal,
                    start,
                    end: i,
                });
            }
            b'\'' => {
                i = skip_quoted(b, i, b'\'')?;
                out.push(Token {
                    tok: Tok::Literal,
                    start,
                    end: i,
                });
            }
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b':' | b',' | b'#' | b'!' => {
                i += 1;
                out.push(Token {
                    tok: Tok::Punct(c),
                    start,
                    end: i,
                });
            }
            _ if c.is_ascii_digit() || ((c == b'-' || c == b'+' || c == b'.') && i + 1 < b.len()) => {
                i += 1;
                while i < b.len() {
                    let d = b[i];
                    let exp_sign = (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E');
                    if d.is_ascii_alphanumeric() || d == b'_' || d == b'.' || exp_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Token {
                    tok: Tok::Literal,
                    start,
                    end: i,
                });
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                // Raw and byte strings: r"..", r#".."#, b"..", br"..", b'.'.
                let rest = &b[i..];
                let prefix = if rest.starts_with(b"br") {
                    2
                } else if rest[0] == b'r' || rest[0] == b'b' {
                    1
                } else {
                    0
                };
                if prefix > 0 && b.get(i + prefix).is_some_and(|&n| n == b'"' || n == b'#' || n == b'\'') {
                    let raw = rest[prefix - 1] == b'r';
                    let after = i + prefix;
                    if raw {
                        let hashes = b[after..].iter().take_while(|&&h| h == b'#').count();
                        if b.get(after + hashes) == Some(&b'"') {
                            let mut close = String::from("\"");
                            close.push_str(&"#".repeat(hashes));
                            let body = after + hashes + 1;
                            let end = src.get(body..)?.find(&close)? + body + close.len();
                            out.push(Token {
                                tok: Tok::Literal,
                                start,
                                end,
                            });
                            i = end;
                            continue;
                        }
                        // `r#ident`: a raw identifier, read below.
                    } else if b[after] == b'"' || b[after] == b'\'' {
                        i = skip_quoted(b, after, b[after])?;
                        out.push(Token {
                            tok: Tok::Literal,
                            start,
                            end: i,
                        });
                        continue;
                    }
                }
                if rest.starts_with(b"r#") {
                    i += 2;
                }
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Ident,
                    start,
                    end: i,
                });
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Index just past the closing quote of a quoted literal starting at `i`.
fn skip_quoted(b: &[u8], mut i: usize, q: u8) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == q => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Token> {
        self.toks.get(self.pos).copied()
    }
    fn peek_at(&self, k: usize) -> Option<Token> {
        self.toks.get(self.pos + k).copied()
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.peek()?;
        self.pos += 1;
        Some(t)
    }
    fn eat(&mut self, p: u8) -> bool {
        if self.peek().is_some_and(|t| t.tok == Tok::Punct(p)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: u8) -> Option<Token> {
        let t = self.next()?;
        (t.tok == Tok::Punct(p)).then_some(t)
    }
    fn text(&self, t: Token) -> &str {
        &self.src[t.start..t.end]
    }

    /// Skips `#![enable(...)]` attributes at the top of a file.
    fn skip_attributes(&mut self) -> Option<()> {
        while self.eat(b'#') {
            self.eat(b'!');
            self.expect(b'[')?;
            let mut depth = 1usize;
            while depth > 0 {
                match self.next()?.tok {
                    Tok::Punct(b'[') => depth += 1,
                    Tok::Punct(b']') => depth -= 1,
                    _ => {}
                }
            }
        }
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let t = self.next()?;
        match t.tok {
            Tok::Literal => Some(Node {
                start: t.start,
                end: t.end,
                kind: Kind::Atom(self.text(t).to_string()),
            }),
            Tok::Ident => {
                let name = self.text(t).trim_start_matches("r#").to_string();
                if self.peek().is_some_and(|n| n.tok == Tok::Punct(b'(')) {
                    let open = self.next()?;
                    let (body, end) = self.group_body(open, depth)?;
                    Some(Node {
                        start: t.start,
                        end,
                        kind: Kind::Group { name: Some(name), body },
                    })
                } else {
                    Some(Node {
                        start: t.start,
                        end: t.end,
                        kind: Kind::Atom(name),
                    })
                }
            }
            Tok::Punct(b'(') => {
                let (body, end) = self.group_body(t, depth)?;
                Some(Node {
                    start: t.start,
                    end,
                    kind: Kind::Group { name: None, body },
                })
            }
            Tok::Punct(b'[') => {
                let mut items = Vec::new();
                loop {
                    if let Some(close) = self.peek().filter(|n| n.tok == Tok::Punct(b']')) {
                        self.pos += 1;
                        return Some(Node {
                            start: t.start,
                            end: close.end,
                            kind: Kind::List(items),
                        });
                    }
                    items.push(self.value(depth + 1)?);
                    if !self.eat(b',') {
                        let close = self.expect(b']')?;
                        return Some(Node {
                            start: t.start,
                            end: close.end,
                            kind: Kind::List(items),
                        });
                    }
                }
            }
            Tok::Punct(b'{') => {
                let mut entries = Vec::new();
                loop {
                    if let Some(close) = self.peek().filter(|n| n.tok == Tok::Punct(b'}')) {
                        self.pos += 1;
                        return Some(Node {
                            start: t.start,
                            end: close.end,
                            kind: Kind::Map(entries),
                        });
                    }
                    let k = self.value(depth + 1)?;
                    self.expect(b':')?;
                    let v = self.value(depth + 1)?;
                    entries.push((k, v));
                    if !self.eat(b',') {
                        let close = self.expect(b'}')?;
                        return Some(Node {
                            start: t.start,
                            end: close.end,
                            kind: Kind::Map(entries),
                        });
                    }
                }
            }
            Tok::Punct(_) => None,
        }
    }

    /// After `(`: either `field: value, ...` or `value, ...`, up to the matching `)`.
    fn group_body(&mut self, _open: Token, depth: usize) -> Option<(Body, usize)> {
        let is_fields = self.peek().is_some_and(|t| t.tok == Tok::Ident)
            && self.peek_at(1).is_some_and(|t| t.tok == Tok::Punct(b':'));
        let mut fields = Vec::new();
        let mut items = Vec::new();
        loop {
            if let Some(close) = self.peek().filter(|n| n.tok == Tok::Punct(b')')) {
                self.pos += 1;
                let body = if is_fields {
                    Body::Fields(fields)
                } else {
                    Body::Items(items)
                };
                return Some((body, close.end));
            }
            if is_fields {
                let name_tok = self.next()?;
                if name_tok.tok != Tok::Ident {
                    return None;
                }
                let name = self.text(name_tok).trim_start_matches("r#").to_string();
                self.expect(b':')?;
                fields.push((name, self.value(depth + 1)?));
            } else {
                items.push(self.value(depth + 1)?);
            }
            if !self.eat(b',') {
                let close = self.expect(b')')?;
                let body = if is_fields {
                    Body::Fields(fields)
                } else {
                    Body::Items(items)
                };
                return Some((body, close.end));
            }
        }
    }
}

/// Reads a whole RON document (attributes, one value, nothing after it).
pub(crate) fn parse_document(src: &str) -> Option<Node> {
    let toks = tokenize(src)?;
    let mut p = Parser { src, toks, pos: 0 };
    p.skip_attributes()?;
    let v = p.value(0)?;
    (p.pos == p.toks.len()).then_some(v)
}

/// Where following a path stopped.
#[derive(Debug)]
pub(crate) struct Unresolved<'a> {
    /// How many segments were followed successfully.
    pub depth: usize,
    /// The deepest node reached.
    pub node: &'a Node,
    /// Why the next segment could not be followed, and what is there instead.
    pub reason: String,
}

impl Node {
    /// `Some(x)` → `x`; anything else unchanged.
    fn unwrap_some(&self) -> &Node {
        match &self.kind {
            Kind::Group {
                name: Some(n),
                body: Body::Items(items),
            } if n == "Some" && items.len() == 1 => &items[0],
            _ => self,
        }
    }

    fn describe(&self) -> String {
        match &self.kind {
            Kind::Atom(a) => format!("the value `{a}`"),
            Kind::Group { name, body } => {
                let name = name.as_deref().map(|n| format!("`{n}` ")).unwrap_or_default();
                match body {
                    Body::Fields(f) => {
                        let names: Vec<_> = f.iter().map(|(n, _)| format!("`{n}`")).collect();
                        format!("{name}with fields {}", names.join(", "))
                    }
                    Body::Items(i) => format!("{name}with {} positional value(s)", i.len()),
                }
            }
            Kind::List(items) => format!("a list of {} element(s)", items.len()),
            Kind::Map(entries) => format!("a map of {} entr(ies)", entries.len()),
        }
    }

    /// Follows one segment.
    fn step(&self, seg: &Seg) -> Result<&Node, String> {
        let mut node = self.unwrap_some();
        // A newtype variant holding a list (`DropPackets([1, 2])`) indexes like the list.
        if let (
            Seg::Index(_),
            Kind::Group {
                name: Some(_),
                body: Body::Items(items),
            },
        ) = (seg, &node.kind)
            && let [
                inner @ Node {
                    kind: Kind::List(_), ..
                },
            ] = items.as_slice()
        {
            node = inner;
        }
        match (seg, &node.kind) {
            (Seg::Index(i), Kind::List(items))
            | (
                Seg::Index(i),
                Kind::Group {
                    body: Body::Items(items),
                    ..
                },
            ) => items
                .get(*i)
                .ok_or_else(|| format!("index {i} is out of range: {}", node.describe())),
            (
                Seg::Field(f),
                Kind::Group {
                    body: Body::Fields(fields),
                    name,
                },
            ) => {
                if let Some((_, v)) = fields.iter().find(|(n, _)| n == f) {
                    Ok(v)
                } else if name.as_deref() == Some(f.as_str()) {
                    Ok(node)
                } else {
                    Err(format!("no field `{f}` here: {}", node.describe()))
                }
            }
            (
                Seg::Field(f),
                Kind::Group {
                    name,
                    body: Body::Items(items),
                },
            ) => {
                if name.as_deref() == Some(f.as_str()) {
                    Ok(node)
                } else if let Ok(i) = f.parse::<usize>() {
                    items
                        .get(i)
                        .ok_or_else(|| format!("position {i} is out of range: {}", node.describe()))
                } else {
                    Err(format!("no field `{f}` here: {}", node.describe()))
                }
            }
            (Seg::Field(f), Kind::Atom(a)) if a == f => Ok(node),
            (Seg::Field(f), Kind::Map(entries)) => entries
                .iter()
                .find(|(k, _)| matches!(&k.kind, Kind::Atom(a) if a.trim_matches('"') == f))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("no key `{f}` in {}", node.describe())),
            (Seg::Index(i), _) => Err(format!("cannot index [{i}] into {}", node.describe())),
            (Seg::Field(f), _) => Err(format!("no field `{f}` in {}", node.describe())),
        }
    }

    /// Follows `segs` from this node.
    pub(crate) fn resolve(&self, segs: &[Seg]) -> Result<&Node, Unresolved<'_>> {
        let mut node = self;
        for (depth, seg) in segs.iter().enumerate() {
            match node.step(seg) {
                Ok(n) => node = n,
                Err(reason) => return Err(Unresolved { depth, node, reason }),
            }
        }
        Ok(node)
    }

    /// The deepest node along `segs` (the node itself if the path fully resolves).
    pub(crate) fn deepest(&self, segs: &[Seg]) -> &Node {
        match self.resolve(segs) {
            Ok(n) => n,
            Err(u) => u.node,
        }
    }
}

/// 1-based (line, column) of a byte offset, counting columns in characters like ron does.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(src).line_col(src, offset)
}

/// Where each line of a text starts: locating many errors in one file costs a binary search
/// each, not a scan from the start of the file.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(src: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// 1-based (line, column) of a byte offset of `src` (the text this index was made of).
    pub(crate) fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset);
        let line_start = self.starts[line - 1];
        let col = src[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_counting_from_the_start() {
        let src = "a\n\nbé c\n  xyz\nlast";
        let lines = LineIndex::new(src);
        for offset in 0..=src.len() + 2 {
            let mut o = offset.min(src.len());
            while !src.is_char_boundary(o) {
                o -= 1;
            }
            let before = &src[..o];
            let line = before.matches('\n').count() + 1;
            let col = before[before.rfind('\n').map_or(0, |p| p + 1)..].chars().count() + 1;
            assert_eq!(lines.line_col(src, offset), (line, col), "offset {offset}");
        }
    }

    const SRC: &str = r##"#![enable(implicit_some)]
// a comment with (unbalanced [ brackets
(
    name: "x", /* block /* nested */ */
    links: [ (forward: (impairments: [Bernoulli(p: 0.1), DropPackets([1, 2])])) ],
    ws: Some(7),
    act: SetLinkRate("l0", Forward, "1 Mbit/s"),
    skip: [{"loss": 0.1}],
    raw: r#"a "quoted" )"#,
)"##;

    #[test]
    fn resolves_paths_to_spans() {
        let doc = parse_document(SRC).unwrap();
        let at = |p: &str| {
            let n = doc.resolve(&parse_path(p).unwrap()).unwrap();
            &SRC[n.start..n.end]
        };
        assert_eq!(at("name"), "\"x\"");
        assert_eq!(at("links[0].forward.impairments[0].Bernoulli.p"), "0.1");
        assert_eq!(at("links[0].forward.impairments[1].DropPackets[1]"), "2");
        assert_eq!(at("links[0].forward.impairments[1].DropPackets.0[0]"), "1");
        assert_eq!(at("ws"), "Some(7)");
        assert_eq!(at("act.SetLinkRate.2"), "\"1 Mbit/s\"");
        assert_eq!(at("skip[0].loss"), "0.1");
        assert_eq!(at("raw"), "r#\"a \"quoted\" )\"#");
        let n = doc
            .resolve(&parse_path("links[0].forward.impairments[2]").unwrap())
            .unwrap_err();
        assert_eq!(n.depth, 4);
        assert_eq!(n.reason, "index 2 is out of range: a list of 2 element(s)");
        assert_eq!(line_col(SRC, doc.deepest(&parse_path("ws.x").unwrap()).start), (6, 9));
    }

    #[test]
    fn paths_parse_and_print() {
        let p = parse_path("links[0].forward.impairments[1].Bernoulli.p").unwrap();
        assert_eq!(path_to_string(&p), "links[0].forward.impairments[1].Bernoulli.p");
        assert!(parse_path("links[x]").is_err());
        assert!(parse_path("links.").is_err());
        assert!(parse_path("").is_err());
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn strips_comments() {
        assert_eq!(strip_comments("0.1 // low"), "0.1");
        assert_eq!(strip_comments("At(\"1 s\") /* x */"), "At(\"1 s\")");
        assert_eq!(strip_comments("\"// not a comment\""), "\"// not a comment\"");
    }
}
