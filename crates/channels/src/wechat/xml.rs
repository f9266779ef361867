//! APIv2's flat XML: `<xml><name><![CDATA[value]]></name>…</xml>`.
//!
//! The parser takes the document only as WeChat writes it: one root with
//! flat children. Any DOCTYPE is refused before anything else is read, so
//! external entities (XXE) and entity expansion (billion laughs) cannot
//! happen; only the five predefined entities and character references are
//! resolved. Repeated fields are refused, as with Alipay's forms, so a
//! forger cannot hope we verify one copy and read the other.

use crate::ChannelError;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeMap;

/// Field name → value. `String` orders by bytes, WeChat's sign order.
pub type Fields = BTreeMap<String, String>;

fn bad(msg: impl Into<String>) -> ChannelError {
    ChannelError::Malformed(msg.into())
}

fn predefined(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Parses a document whose root is `root` (`xml`, or `root` inside `req_info`).
pub fn parse(body: &[u8], root: &str) -> Result<Fields, ChannelError> {
    let text = std::str::from_utf8(body).map_err(|_| bad("the XML is not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    let mut fields = Fields::new();
    // depth 0: before the root, 1: inside the root, 2: inside a field.
    let mut depth = 0u8;
    let mut seen_root = false;
    let mut current: Option<(String, String)> = None;
    loop {
        let event = reader.read_event().map_err(|e| bad(format!("XML: {e}")))?;
        match event {
            Event::DocType(_) => return Err(bad("XML with a DOCTYPE is refused")),
            Event::Decl(_) | Event::Comment(_) if depth != 2 => {}
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                match depth {
                    0 if !seen_root && name == root => seen_root = true,
                    0 => return Err(bad(format!("the XML root must be <{root}>"))),
                    1 => current = Some((name, String::new())),
                    _ => return Err(bad("nested XML elements are not expected")),
                }
                depth += 1;
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                if depth != 1 {
                    return Err(bad("unexpected empty element"));
                }
                insert(&mut fields, name, String::new())?;
            }
            Event::End(_) => {
                if depth == 2 {
                    let (name, value) = current.take().ok_or_else(|| bad("XML end without start"))?;
                    insert(&mut fields, name, value)?;
                }
                depth = depth.checked_sub(1).ok_or_else(|| bad("XML end without start"))?;
            }
            Event::Text(t) => match (&mut current, depth) {
                (Some((_, v)), 2) => v.push_str(&t),
                _ if t.trim().is_empty() => {}
                _ => return Err(bad("text outside a field")),
            },
            Event::CData(c) => match (&mut current, depth) {
                (Some((_, v)), 2) => v.push_str(&c),
                _ => return Err(bad("CDATA outside a field")),
            },
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(|e| bad(format!("XML: {e}")))? {
                    Some(c) => c,
                    None => predefined(&r).ok_or_else(|| bad("XML entity references are refused"))?,
                };
                match (&mut current, depth) {
                    (Some((_, v)), 2) => v.push(ch),
                    _ => return Err(bad("a reference outside a field")),
                }
            }
            Event::PI(_) | Event::Decl(_) | Event::Comment(_) => {
                return Err(bad("unexpected XML construct"));
            }
            Event::Eof => break,
        }
    }
    if !seen_root || depth != 0 {
        return Err(bad("the XML document is incomplete"));
    }
    Ok(fields)
}

fn insert(fields: &mut Fields, name: String, value: String) -> Result<(), ChannelError> {
    if fields.insert(name.clone(), value).is_some() {
        return Err(bad(format!("field {name} is repeated")));
    }
    Ok(())
}

/// Renders fields as WeChat's SDKs do: every value in CDATA. A value
/// containing `]]>` is split across two CDATA sections.
pub fn render(fields: &Fields) -> String {
    let mut out = String::from("<xml>");
    for (k, v) in fields {
        out.push('<');
        out.push_str(k);
        out.push_str("><![CDATA[");
        out.push_str(&v.replace("]]>", "]]]]><![CDATA[>"));
        out.push_str("]]></");
        out.push_str(k);
        out.push('>');
    }
    out.push_str("</xml>");
    out
}
