//! Lightning's `hparams.yaml` (`core/saving.py`, `save_hparams_to_yaml`): written by
//! OmegaConf, or by PyYAML's full `yaml.dump` when OmegaConf cannot represent a value,
//! which adds Python tags: `!!python/tuple` lists, `!!python/object:...` mappings,
//! `!!python/name:...` references, `!!python/object/apply:...` constructor calls (numpy
//! scalars, paths). The tags are kept while parsing (yaml-rust2's event parser) so such
//! values still read as something useful: a numpy scalar as its number, a path as its
//! text, a tuple as a list; anything else as its YAML-ish text. Nothing aborts on a tag.

use std::collections::HashMap;

use base64::Engine;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nesting deeper than this is rendered as `…` (the file is not trusted).
const MAX_DEPTH: usize = 64;

/// A YAML node with its tag (the suffix of `!!` tags, e.g. `python/tuple`).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Scalar { text: String, tag: Option<String>, plain: bool },
    Seq { tag: Option<String>, items: Vec<Node> },
    Map { tag: Option<String>, entries: Vec<(Node, Node)> },
}

/// Why a file is not a readable `hparams.yaml`: where (`line 3`) and why.
#[derive(Debug, PartialEq)]
pub(super) struct YamlError {
    pub location: Option<String>,
    pub message: String,
}

/// Params from an `hparams.yaml`: nested keys joined with `.`, values as text.
pub(super) fn params(text: &str) -> Result<Vec<(String, String)>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|e| YamlError { location: Some(format!("line {}", e.marker().line())), message: format!("invalid YAML: {e}") })?;
    let mut out = Vec::new();
    match builder.doc {
        None => {} // an empty file: no params
        Some(Node::Map { entries, .. }) => flatten(&entries, "", 0, &mut out),
        Some(Node::Scalar { text, .. }) if is_null(&text) => {}
        Some(_) => return Err(YamlError { location: None, message: "hparams.yaml is not a mapping".into() }),
    }
    Ok(out)
}

fn flatten(entries: &[(Node, Node)], prefix: &str, depth: usize, out: &mut Vec<(String, String)>) {
    for (key, value) in entries {
        let key = render(key, depth);
        let key = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
        match value {
            Node::Map { entries, .. } if !entries.is_empty() && depth < MAX_DEPTH && !is_constructor(value) => flatten(entries, &key, depth + 1, out),
            _ => out.push((key, render(value, depth))),
        }
    }
}

/// A mapping that describes a constructor call (`!!python/object/apply:` with `args`),
/// better read as one value than as its pieces.
fn is_constructor(node: &Node) -> bool {
    matches!(node, Node::Map { tag: Some(t), .. } if t.starts_with("python/object/apply:"))
}

/// A node as one text value.
fn render(node: &Node, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "…".into();
    }
    if let Some(value) = numpy_scalar(node).or_else(|| path(node)) {
        return value;
    }
    match node {
        Node::Scalar { text, tag, plain } => match tag.as_deref() {
            Some(t) if text.is_empty() && t.starts_with("python/name:") => t.trim_start_matches("python/name:").to_string(),
            _ if *plain && is_null(text) => "null".into(),
            _ => text.clone(),
        },
        Node::Seq { items, .. } => {
            let items: Vec<String> = items.iter().map(|i| render(i, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        Node::Map { tag, entries } => {
            let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{}: {}", render(k, depth + 1), render(v, depth + 1))).collect();
            let body = format!("{{{}}}", entries.join(", "));
            match tag.as_deref().and_then(|t| t.strip_prefix("python/object/apply:")) {
                Some(callee) => format!("{callee}({body})"),
                None => body,
            }
        }
    }
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A numpy scalar as `yaml.dump` writes it: `!!python/object/apply:numpy.core.multiarray.scalar`
/// (`numpy._core` since numpy 2) with the dtype and the value's bytes as `!!binary`.
fn numpy_scalar(node: &Node) -> Option<String> {
    let Node::Seq { tag: Some(tag), items } = node else { return None };
    if !tag.ends_with("multiarray.scalar") {
        return None;
    }
    let (dtype, data) = (items.first()?, items.get(1)?);
    let Node::Map { entries, .. } = dtype else { return None };
    let field = |name: &str| entries.iter().find(|(k, _)| matches!(k, Node::Scalar { text, .. } if text == name)).map(|(_, v)| v);
    let Some(Node::Seq { items: args, .. }) = field("args") else { return None };
    let Some(Node::Scalar { text: code, .. }) = args.first() else { return None };
    // state[1] is the byte order: `<` little, `>` big, `|` not applicable.
    let big_endian =
        matches!(field("state"), Some(Node::Seq { items, .. }) if matches!(items.get(1), Some(Node::Scalar { text, .. }) if text == ">"));
    let Node::Scalar { text: encoded, tag: Some(data_tag), .. } = data else { return None };
    if data_tag != "binary" {
        return None;
    }
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let mut bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    if big_endian {
        bytes.reverse();
    }
    decode_scalar(code, &bytes)
}

/// A little-endian numpy value of dtype `code` (`f8`, `i4`, `b1`, ...) as text.
fn decode_scalar(code: &str, bytes: &[u8]) -> Option<String> {
    fn array<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
        bytes.try_into().ok()
    }
    Some(match code {
        "f8" => f64::from_le_bytes(array(bytes)?).to_string(),
        "f4" => f32::from_le_bytes(array(bytes)?).to_string(),
        "i8" => i64::from_le_bytes(array(bytes)?).to_string(),
        "i4" => i32::from_le_bytes(array(bytes)?).to_string(),
        "i2" => i16::from_le_bytes(array(bytes)?).to_string(),
        "i1" => i8::from_le_bytes(array(bytes)?).to_string(),
        "u8" => u64::from_le_bytes(array(bytes)?).to_string(),
        "u4" => u32::from_le_bytes(array(bytes)?).to_string(),
        "u2" => u16::from_le_bytes(array(bytes)?).to_string(),
        "u1" => u8::from_le_bytes(array(bytes)?).to_string(),
        "b1" => (array::<1>(bytes)?[0] != 0).to_string(),
        _ => return None,
    })
}

/// A `pathlib` path as `yaml.dump` writes it: `!!python/object/apply:pathlib.PosixPath`
/// with the path's parts as the arguments.
fn path(node: &Node) -> Option<String> {
    let Node::Seq { tag: Some(tag), items } = node else { return None };
    if !(tag.starts_with("python/object/apply:pathlib.") && tag.ends_with("Path")) {
        return None;
    }
    let parts: Option<Vec<&str>> = items.iter().map(|i| if let Node::Scalar { text, .. } = i { Some(text.as_str()) } else { None }).collect();
    let parts = parts?;
    Some(match parts.split_first() {
        Some((&"/", rest)) => format!("/{}", rest.join("/")),
        _ => parts.join("/"),
    })
}

/// Builds [`Node`]s from parser events, keeping tags and resolving aliases.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    /// The first document's root.
    doc: Option<Node>,
    finished_docs: usize,
}

enum Frame {
    Seq { anchor: usize, tag: Option<String>, items: Vec<Node> },
    Map { anchor: usize, tag: Option<String>, entries: Vec<(Node, Node)>, key: Option<Node> },
}

fn tag_text(tag: Option<Tag>) -> Option<String> {
    tag.map(|t| if t.handle == "tag:yaml.org,2002:" { t.suffix } else { format!("{}{}", t.handle, t.suffix) })
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.finished_docs > 0 {
            return; // only the first document counts
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node::Scalar { text, tag: tag_text(tag), plain: style == TScalarStyle::Plain };
                self.complete(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => self.stack.push(Frame::Seq { anchor, tag: tag_text(tag), items: Vec::new() }),
            Event::MappingStart(anchor, tag) => self.stack.push(Frame::Map { anchor, tag: tag_text(tag), entries: Vec::new(), key: None }),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { anchor, tag, items }) => self.complete(Node::Seq { tag, items }, anchor),
                Some(Frame::Map { anchor, tag, entries, .. }) => self.complete(Node::Map { tag, entries }, anchor),
                None => {}
            },
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node::Scalar { text: String::new(), tag: None, plain: true });
                self.complete(node, 0);
            }
            Event::DocumentEnd => self.finished_docs += 1,
            _ => {}
        }
    }
}

impl Builder {
    /// Adds a finished node to the open collection, or makes it the document.
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.doc = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> HashMap<String, String> {
        params(text).unwrap().into_iter().collect()
    }

    #[test]
    fn python_tags_do_not_abort_and_read_as_values() {
        // What PyYAML's yaml.dump writes for a tuple, a Namespace, a class, a numpy
        // float64 (0.001) and a path.
        let text = "betas: !!python/tuple\n- 0.9\n- 0.999\nargs: !!python/object:argparse.Namespace\n  depth: 18\n  name: resnet\n\
                    activation: !!python/name:torch.nn.modules.activation.ReLU ''\n\
                    lr: !!python/object/apply:numpy.core.multiarray.scalar\n- &id001 !!python/object/apply:numpy.dtype\n  args:\n  - f8\n  - false\n  - true\n  state: !!python/tuple\n  - 3\n  - <\n  - null\n  - null\n  - null\n  - -1\n  - -1\n  - 0\n- !!binary |\n  /Knx0k1iUD8=\n\
                    momentum: !!python/object/apply:numpy.core.multiarray.scalar\n- *id001\n- !!binary |\n  zczMzMzM7D8=\n\
                    data_dir: !!python/object/apply:pathlib.PosixPath\n- /\n- data\n- mnist\n\
                    dropout: null\nname: 'null'\n";
        let p = map(text);
        assert_eq!(p["betas"], "[0.9, 0.999]");
        assert_eq!(p["args.depth"], "18");
        assert_eq!(p["args.name"], "resnet");
        assert_eq!(p["activation"], "torch.nn.modules.activation.ReLU");
        assert_eq!(p["lr"], "0.001");
        assert_eq!(p["momentum"], "0.9", "the dtype comes through the alias");
        assert_eq!(p["data_dir"], "/data/mnist");
        assert_eq!(p["dropout"], "null");
        assert_eq!(p["name"], "null", "a quoted string stays text");
        assert_eq!(p.len(), 9);
    }

    #[test]
    fn nested_omegaconf_output_is_flattened() {
        let p = map("model:\n  encoder:\n    layers: 4\n  heads: [1, 2]\noptimizer:\n  name: adam\n  lr: 0.0003\nempty: {}\n");
        assert_eq!(p["model.encoder.layers"], "4");
        assert_eq!(p["model.heads"], "[1, 2]");
        assert_eq!(p["optimizer.lr"], "0.0003");
        assert_eq!(p["empty"], "{}");
    }

    #[test]
    fn broken_yaml_says_where_and_odd_documents_are_errors() {
        let err = params("lr: 0.1\nlayers: [1, 2\nname: x\n").unwrap_err();
        assert!(err.location.as_deref().unwrap().starts_with("line "), "{err:?}");
        assert!(params("- a\n- b\n").is_err());
        assert!(params("").unwrap().is_empty());
        assert!(params("{}\n").unwrap().is_empty());
    }

    #[test]
    fn deep_nesting_is_cut_not_overflowed() {
        let text = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        let p = map(&text);
        assert!(p["a"].contains('…'));
    }
}
