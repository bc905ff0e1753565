//! Reading a submission's XML safely, and writing the OpenRosa documents the server answers
//! with (form list, manifest, OpenRosaResponse).
//!
//! roxmltree refuses any `<!DOCTYPE>` unless told otherwise, so no entity is ever declared,
//! expanded or fetched (a billion laughs and an XXE are both refused before anything is read),
//! and it stops at a node limit; the size is bounded before parsing.

use std::collections::BTreeMap;

/// Largest `xml_submission_file` read: a 20,000-point geotrace is about 1 MB.
pub const MAX_XML_BYTES: usize = 2 << 20;
/// Most nodes (elements, text, attributes) a submission may have.
pub const MAX_NODES: u32 = 100_000;

/// Why a submission's XML was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the XML is larger than {} MiB", MAX_XML_BYTES >> 20)]
    TooLarge,
    #[error("the XML is not UTF-8")]
    NotUtf8,
    #[error("the XML declares a DTD or entities, which submissions never do")]
    Dtd,
    #[error("the XML has more than {MAX_NODES} nodes")]
    TooManyNodes,
    #[error("the XML cannot be read: {0}")]
    Malformed(String),
    #[error("{0} appears twice; these forms have no repeats")]
    Repeated(String),
}

/// A submission instance: the root's `id` and `version`, and every leaf by its path of local
/// names below the root (`meta/instanceID`, `registration/head_name`), whatever namespace it
/// is in (Collect may write `meta` in the `orx` namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub form_id: String,
    pub version: Option<String>,
    pub leaves: BTreeMap<String, String>,
}

impl Instance {
    /// A leaf's text, trimmed; `None` when absent or empty (Collect leaves out questions that
    /// were not relevant and writes relevant unanswered ones as empty elements).
    pub fn get(&self, path: &str) -> Option<&str> {
        self.leaves
            .get(path)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Parses a submission's bytes.
pub fn parse_instance(bytes: &[u8]) -> Result<Instance, XmlError> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Dtd,
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes,
        e => XmlError::Malformed(e.to_string()),
    })?;
    let root = doc.root_element();
    let mut leaves = BTreeMap::new();
    let mut stack: Vec<(roxmltree::Node, String)> = root
        .children()
        .filter(|n| n.is_element())
        .map(|n| (n, n.tag_name().name().to_owned()))
        .collect();
    while let Some((node, path)) = stack.pop() {
        let children: Vec<_> = node.children().filter(|n| n.is_element()).collect();
        if children.is_empty() {
            let value: String = node
                .children()
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .concat();
            if leaves.insert(path.clone(), value).is_some() {
                return Err(XmlError::Repeated(path));
            }
        } else {
            for child in children {
                stack.push((child, format!("{path}/{}", child.tag_name().name())));
            }
        }
    }
    Ok(Instance {
        form_id: root.attribute("id").unwrap_or("").to_owned(),
        version: root.attribute("version").map(str::to_owned),
        leaves,
    })
}

/// `text` escaped for an XML element or attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<OpenRosaResponse>` with one message; `nature="error"` on failures, as ODK Central writes.
pub fn openrosa_response(message: &str, error: bool) -> String {
    let nature = if error { " nature=\"error\"" } else { "" };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\"><message{nature}>{}</message></OpenRosaResponse>",
        escape(message)
    )
}

/// One form of a form list.
pub struct ListedForm<'a> {
    pub form_id: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    pub md5_hex: String,
    pub download_url: String,
    pub manifest_url: Option<String>,
}

/// The OpenRosa `xformsList`.
pub fn form_list(forms: &[ListedForm]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">",
    );
    for f in forms {
        out.push_str(&format!(
            "<xform><formID>{}</formID><name>{}</name><version>{}</version><hash>md5:{}</hash><downloadUrl>{}</downloadUrl>",
            escape(f.form_id),
            escape(f.name),
            escape(f.version),
            f.md5_hex,
            escape(&f.download_url)
        ));
        if let Some(m) = &f.manifest_url {
            out.push_str(&format!("<manifestUrl>{}</manifestUrl>", escape(m)));
        }
        out.push_str("</xform>");
    }
    out.push_str("</xforms>");
    out
}

/// The OpenRosa `xformsManifest`: `(file name, md5 hex, download URL)` per media file.
pub fn manifest(files: &[(&str, String, String)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">",
    );
    for (name, md5_hex, url) in files {
        out.push_str(&format!(
            "<mediaFile><filename>{}</filename><hash>md5:{md5_hex}</hash><downloadUrl>{}</downloadUrl></mediaFile>",
            escape(name),
            escape(url)
        ));
    }
    out.push_str("</manifest>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_read_by_local_name_whatever_the_namespace() {
        let xml = br#"<?xml version="1.0"?><data xmlns:orx="http://openrosa.org/xforms" id="household_check" version="7"><village>thien-ke-01</village><registration><head_name> B&#7841;n </head_name></registration><note/><orx:meta><orx:instanceID>uuid:1</orx:instanceID></orx:meta></data>"#;
        let i = parse_instance(xml).unwrap();
        assert_eq!(i.form_id, "household_check");
        assert_eq!(i.version.as_deref(), Some("7"));
        assert_eq!(i.get("meta/instanceID"), Some("uuid:1"));
        assert_eq!(i.get("registration/head_name"), Some("Bạn"));
        assert_eq!(i.get("note"), None);
        assert_eq!(i.get("missing"), None);
    }

    #[test]
    fn a_billion_laughs_and_an_external_entity_are_refused_before_anything_is_expanded() {
        let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><data id="x">&lol2;</data>"#;
        assert_eq!(parse_instance(laughs), Err(XmlError::Dtd));
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE data [<!ENTITY x SYSTEM "file:///etc/passwd">]><data id="x">&x;</data>"#;
        assert_eq!(parse_instance(xxe), Err(XmlError::Dtd));
    }

    #[test]
    fn oversized_deep_or_repeated_xml_is_refused() {
        let big = vec![b' '; MAX_XML_BYTES + 1];
        assert_eq!(parse_instance(&big), Err(XmlError::TooLarge));
        let many = format!(
            "<data id=\"x\">{}</data>",
            "<a/>".repeat(MAX_NODES as usize)
        );
        assert_eq!(parse_instance(many.as_bytes()), Err(XmlError::TooManyNodes));
        assert_eq!(
            parse_instance(b"<data id=\"x\"><a>1</a><a>2</a></data>"),
            Err(XmlError::Repeated("a".into()))
        );
        assert!(matches!(
            parse_instance(b"<data id=\"x\"><a>"),
            Err(XmlError::Malformed(_))
        ));
        assert_eq!(parse_instance(&[0xff, 0xfe]), Err(XmlError::NotUtf8));
    }

    #[test]
    fn openrosa_documents_escape_what_they_carry() {
        let r = openrosa_response("Đã nhận <1> & \"ok\"", true);
        assert!(r.contains(
            r#"<message nature="error">Đã nhận &lt;1&gt; &amp; &quot;ok&quot;</message>"#
        ));
        assert!(r.contains(r#"xmlns="http://openrosa.org/http/response""#));
        let list = form_list(&[ListedForm {
            form_id: "f",
            name: "A & B",
            version: "1",
            md5_hex: "00".into(),
            download_url: "http://h/x?a=1&b=2".into(),
            manifest_url: None,
        }]);
        assert!(list.contains("<name>A &amp; B</name>") && list.contains("a=1&amp;b=2"));
        assert!(!list.contains("manifestUrl"));
    }
}
