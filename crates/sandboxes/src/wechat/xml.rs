//! WeChat Pay v2's XML: one `<xml>` root holding flat `<name>value</name>`
//! fields, values usually in CDATA.
//!
//! A strict reader of exactly that shape, not a general XML parser: no
//! DOCTYPE, no entity definitions, no nesting, only the five predefined
//! entities and character references. XXE and entity expansion ("billion
//! laughs") are impossible by construction and refused as malformed.

use std::collections::BTreeMap;

pub type Fields = BTreeMap<String, String>;

/// Larger bodies are refused before parsing.
pub const MAX_XML_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("document type declarations are not accepted")]
    Doctype,
    #[error("malformed XML: {0}")]
    Malformed(&'static str),
    #[error("XML body too large")]
    TooLarge,
}

struct Reader<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn skip_ws(&mut self) {
        let r = self.rest();
        self.at += r.len() - r.trim_start().len();
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.at += lit.len();
            true
        } else {
            false
        }
    }

    fn until(&mut self, lit: &str, what: &'static str) -> Result<&'a str, XmlError> {
        let r = self.rest();
        let i = r.find(lit).ok_or(XmlError::Malformed(what))?;
        self.at += i + lit.len();
        Ok(&r[..i])
    }

    /// Skips comments and whitespace; refuses any other `<!` or `<?`.
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.eat("<!--") {
                self.until("-->", "unterminated comment")?;
            } else if self.rest().starts_with("<!") {
                return Err(if self.rest().to_ascii_uppercase().starts_with("<!DOCTYPE") {
                    XmlError::Doctype
                } else {
                    XmlError::Malformed("markup declaration")
                });
            } else if self.rest().starts_with("<?") {
                return Err(XmlError::Malformed("processing instruction"));
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<&'a str, XmlError> {
        let r = self.rest();
        let n = r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')).unwrap_or(r.len());
        if n == 0 {
            return Err(XmlError::Malformed("expected a name"));
        }
        self.at += n;
        Ok(&r[..n])
    }
}

fn unescape(text: &str) -> Result<String, XmlError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or(XmlError::Malformed("unterminated reference"))? + i;
        let ent = &rest[i + 1..end];
        let c = match ent {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32).ok_or(XmlError::Malformed("unknown entity"))?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A field's content: CDATA sections and escaped text, no elements.
fn value(r: &mut Reader<'_>, name: &str) -> Result<String, XmlError> {
    let mut out = String::new();
    loop {
        if r.eat("<![CDATA[") {
            out.push_str(r.until("]]>", "unterminated CDATA")?);
        } else if r.eat("</") {
            let close = r.name()?;
            r.skip_ws();
            if close != name || !r.eat(">") {
                return Err(XmlError::Malformed("mismatched closing tag"));
            }
            return Ok(out);
        } else if r.rest().starts_with('<') {
            return Err(XmlError::Malformed("nested element"));
        } else {
            let text = r.rest();
            let n = text.find('<').ok_or(XmlError::Malformed("unterminated element"))?;
            out.push_str(&unescape(&text[..n])?);
            r.at += n;
        }
    }
}

/// Parses `<xml>…</xml>`. A repeated field is malformed (which value would
/// be signed?).
pub fn parse(doc: &str) -> Result<Fields, XmlError> {
    if doc.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let mut r = Reader { s: doc.trim_start_matches('\u{feff}'), at: 0 };
    r.skip_ws();
    if r.eat("<?xml") {
        let decl = r.until("?>", "unterminated declaration")?;
        if !decl.is_empty() && !decl.starts_with(char::is_whitespace) {
            return Err(XmlError::Malformed("bad declaration"));
        }
    }
    r.skip_misc()?;
    if !r.eat("<xml>") {
        return Err(XmlError::Malformed("root element must be <xml>"));
    }
    let mut fields = Fields::new();
    loop {
        r.skip_misc()?;
        if r.eat("</xml>") {
            break;
        }
        if !r.eat("<") {
            return Err(XmlError::Malformed("text outside fields"));
        }
        let name = r.name()?;
        r.skip_ws();
        let v = if r.eat("/>") {
            String::new()
        } else if r.eat(">") {
            value(&mut r, name)?
        } else {
            return Err(XmlError::Malformed("attributes are not accepted"));
        };
        if fields.insert(name.to_owned(), v).is_some() {
            return Err(XmlError::Malformed("repeated field"));
        }
    }
    r.skip_misc()?;
    if !r.rest().is_empty() {
        return Err(XmlError::Malformed("content after the root"));
    }
    Ok(fields)
}

/// `<xml><k><![CDATA[v]]></k>…</xml>`; digits-only values go bare, as
/// WeChat writes amounts. A value holding `]]>` is split across sections.
pub fn write<'a, I>(fields: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut out = String::from("<xml>");
    for (k, v) in fields {
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("<{k}>{v}</{k}>"));
        } else {
            let v = v.replace("]]>", "]]]]><![CDATA[>");
            out.push_str(&format!("<{k}><![CDATA[{v}]]></{k}>"));
        }
    }
    out.push_str("</xml>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_wechat_writes() {
        let doc = "<?xml version=\"1.0\"?>\n<xml>\n <a><![CDATA[x]]></a><b>1</b><c>a &amp; b</c><d/>\
                   <e><![CDATA[]]]]><![CDATA[>]]></e></xml>";
        let f = parse(doc).expect("parse");
        assert_eq!(f["a"], "x");
        assert_eq!(f["b"], "1");
        assert_eq!(f["c"], "a & b");
        assert_eq!(f["d"], "");
        assert_eq!(f["e"], "]]>");
        let again = parse(&write(f.iter().map(|(k, v)| (k.as_str(), v.as_str())))).expect("round trip");
        assert_eq!(again, f);
    }

    #[test]
    fn refuses_hostile_and_odd_documents() {
        let xxe =
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><a>&x;</a></xml>";
        assert_eq!(parse(xxe), Err(XmlError::Doctype));
        let laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><xml><a>&lol2;</a></xml>";
        assert_eq!(parse(laughs), Err(XmlError::Doctype));
        for bad in [
            "<xml><a>&lol;</a></xml>",
            "<xml><a><b>1</b></a></xml>",
            "<xml><a>1</a><a>2</a></xml>",
            "<xml><a x=\"1\">1</a></xml>",
            "<xml><a>1</b></xml>",
            "<root><a>1</a></root>",
            "<xml><a>1</a></xml><x/>",
            "<xml><a>1</a>",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
