//! Setting a field of a scenario given as a JSON value, by a path like
//! `cluster.managedNodeGroups[0].instanceType`.

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Parses `a.b[0].c` into steps; `None` if malformed.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && out.is_empty() {
            return None;
        }
        if !key.is_empty() {
            out.push(Step::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let idx: usize = rest.get(1..close)?.parse().ok()?;
            out.push(Step::Index(idx));
            rest = &rest[close + 1..];
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Sets `value` at `path` in `root`, creating missing map keys; an index past the end of a
/// list is an error (a sweep cannot invent list entries it knows nothing about).
pub fn set(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let steps = parse_path(path).ok_or_else(|| {
        format!("`{path}` is not a field path like `cluster.managedNodeGroups[0].instanceType`")
    })?;
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        match step {
            Step::Key(k) => {
                if !cur.is_object() {
                    if cur.is_null() {
                        *cur = Value::Object(Default::default());
                    } else {
                        return Err(format!(
                            "`{path}`: `{k}` is inside something that is not a map"
                        ));
                    }
                }
                let map = cur.as_object_mut().expect("checked");
                if last {
                    map.insert(k.clone(), value);
                    return Ok(());
                }
                cur = map.entry(k.clone()).or_insert(Value::Null);
            }
            Step::Index(n) => {
                let list = cur.as_array_mut().ok_or_else(|| {
                    format!("`{path}`: [{n}] is applied to something that is not a list")
                })?;
                let len = list.len();
                let slot = list.get_mut(*n).ok_or_else(|| {
                    format!("`{path}`: index {n} is past the end of a list of {len}")
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                cur = slot;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_nested_fields_and_creates_maps() {
        let mut v =
            json!({"cluster": {"managedNodeGroups": [{"name": "a", "instanceType": "m5.large"}]}});
        set(
            &mut v,
            "cluster.managedNodeGroups[0].instanceType",
            json!("m6i.xlarge"),
        )
        .unwrap();
        set(&mut v, "autoscaler.expander", json!("price")).unwrap();
        assert_eq!(
            v["cluster"]["managedNodeGroups"][0]["instanceType"],
            "m6i.xlarge"
        );
        assert_eq!(v["autoscaler"]["expander"], "price");
        assert!(
            set(&mut v, "cluster.managedNodeGroups[3].name", json!("x"))
                .unwrap_err()
                .contains("past the end")
        );
        assert!(set(&mut v, "a..b", json!(1)).is_err() || parse_path("a..b").is_some());
        assert_eq!(
            parse_path("a[0][1].b"),
            Some(vec![
                Step::Key("a".into()),
                Step::Index(0),
                Step::Index(1),
                Step::Key("b".into())
            ])
        );
    }
}
