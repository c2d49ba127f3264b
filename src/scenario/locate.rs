//! Maps field paths (`cluster.managedNodeGroups[0].minSize`) to their line and column in the
//! YAML text, so validation problems found after parsing still point at a place in the file.

use std::collections::BTreeMap;

use serde_saphyr::granit_parser::{Event, Parser};

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

/// Line and column (1-based) of every key and sequence item, by field path.
#[derive(Debug, Default)]
pub struct Locations {
    by_path: BTreeMap<String, (usize, usize)>,
}

fn path_of(frames: &[Frame]) -> String {
    let mut p = String::new();
    for f in frames {
        match f {
            Frame::Map { key: Some(k) } => {
                if !p.is_empty() {
                    p.push('.');
                }
                p.push_str(k);
            }
            Frame::Map { key: None } => {}
            Frame::Seq { index } => p.push_str(&format!("[{index}]")),
        }
    }
    p
}

impl Locations {
    /// Walks the YAML events of `text`; stops quietly at a syntax error (the parser reports
    /// those itself).
    pub fn of(text: &str) -> Locations {
        let mut by_path = BTreeMap::new();
        let mut frames: Vec<Frame> = Vec::new();
        // A node just finished: a map goes back to expecting a key, a sequence moves on.
        fn done(frames: &mut [Frame]) {
            match frames.last_mut() {
                Some(Frame::Map { key }) => *key = None,
                Some(Frame::Seq { index }) => *index += 1,
                None => {}
            }
        }
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let at = (span.start.line(), span.start.col() + 1);
            // Record where a node that is a map value or a sequence item starts.
            let record_item = |frames: &[Frame], by_path: &mut BTreeMap<String, (usize, usize)>| {
                if let Some(Frame::Seq { .. }) = frames.last() {
                    by_path.entry(path_of(frames)).or_insert(at);
                }
            };
            match event {
                Event::Scalar(value, ..) => match frames.last_mut() {
                    Some(Frame::Map { key: key @ None }) => {
                        *key = Some(value.into_owned());
                        by_path.entry(path_of(&frames)).or_insert(at);
                    }
                    _ => {
                        record_item(&frames, &mut by_path);
                        done(&mut frames);
                    }
                },
                Event::MappingStart(..) => {
                    record_item(&frames, &mut by_path);
                    frames.push(Frame::Map { key: None });
                }
                Event::SequenceStart(..) => {
                    record_item(&frames, &mut by_path);
                    frames.push(Frame::Seq { index: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    frames.pop();
                    done(&mut frames);
                }
                Event::Alias(..) => done(&mut frames),
                _ => {}
            }
        }
        Locations { by_path }
    }

    /// Where `path` is, or the nearest enclosing field that is in the file (a default-valued
    /// field is not written, but its parent is).
    pub fn find(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(&at) = self.by_path.get(p) {
                return Some(at);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_items_and_falls_back_to_parents() {
        let text = "horizon: 1h\ncluster:\n  managedNodeGroups:\n    - name: a\n      minSize: 5\n    - {name: b}\nworkload:\n  - generator: {name: g}\n";
        let l = Locations::of(text);
        assert_eq!(l.find("horizon"), Some((1, 1)));
        assert_eq!(l.find("cluster.managedNodeGroups[0].minSize"), Some((5, 7)));
        assert_eq!(l.find("cluster.managedNodeGroups[1].name"), Some((6, 8)));
        assert_eq!(l.find("cluster.managedNodeGroups[1].maxSize"), Some((6, 7)));
        assert_eq!(l.find("workload[0].generator.arrivals"), Some((8, 5)));
        assert_eq!(l.find("nothing"), None);
    }
}
