//! Pod fields that repeat across many pods (a namespace, a job's group and image, a template's
//! labels), held once and shared: a trace row of a job, or a pod of a template, clones a count
//! instead of allocating copies. Both types compare, order, hash and print exactly as the text
//! or the list of pairs they hold, and compare with plain `String`/`&str`/`Vec` values in either
//! order, so code that compared the old `String`/`Vec` fields reads the same.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Shared immutable text (namespace, group, image).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when both hold the same allocation (so certainly the same text): a constant-time
    /// check for memos keyed on text that repeats from pod to pod.
    pub fn same(&self, other: &SharedStr) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The same text in an allocation of its own, for a run on another thread: every pod clone
    /// bumps the count, and two threads bumping one count fight over its cache line (a sweep's
    /// runs start from one shared scenario).
    pub fn unshared(&self) -> SharedStr {
        SharedStr(Arc::from(&*self.0))
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> SharedStr {
        SharedStr(s.into())
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> SharedStr {
        SharedStr(s.into())
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> SharedStr {
        SharedStr(s.as_str().into())
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == *other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

/// A shared, immutable list of `key=value` pairs (pod labels), sorted by key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedLabels(Arc<[(String, String)]>);

impl SharedLabels {
    /// True when both hold the same allocation (so certainly the same pairs).
    pub fn same(&self, other: &SharedLabels) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The same pairs in an allocation of their own (see [`SharedStr::unshared`]).
    pub fn unshared(&self) -> SharedLabels {
        SharedLabels(Arc::from(&*self.0))
    }
}

impl Default for SharedLabels {
    fn default() -> SharedLabels {
        SharedLabels(Arc::new([]))
    }
}

impl Deref for SharedLabels {
    type Target = [(String, String)];
    fn deref(&self) -> &[(String, String)] {
        &self.0
    }
}

impl AsRef<[(String, String)]> for SharedLabels {
    fn as_ref(&self) -> &[(String, String)] {
        &self.0
    }
}

impl fmt::Debug for SharedLabels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<Vec<(String, String)>> for SharedLabels {
    fn from(v: Vec<(String, String)>) -> SharedLabels {
        SharedLabels(v.into())
    }
}

impl PartialEq<Vec<(String, String)>> for SharedLabels {
    fn eq(&self, other: &Vec<(String, String)>) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedLabels> for Vec<(String, String)> {
    fn eq(&self, other: &SharedLabels) -> bool {
        **self == *other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn shared_text_behaves_as_its_text() {
        let a = SharedStr::from("batch");
        let b = SharedStr::from(String::from("web"));
        assert_eq!(a, "batch");
        assert_eq!("batch", a);
        assert_eq!(a, String::from("batch"));
        assert_eq!(String::from("batch"), a);
        assert!(a < b && "batch" < "web");
        assert_eq!(format!("{a}/{a:?}"), format!("{}/{:?}", "batch", "batch"));
        let mut m = BTreeMap::new();
        m.insert(a.clone(), 1);
        assert_eq!(m.get("batch"), Some(&1));
        assert_eq!(SharedStr::default(), "");
        let l = SharedLabels::from(vec![("app".to_string(), "x".to_string())]);
        assert_eq!(l, vec![("app".to_string(), "x".to_string())]);
        assert_eq!(format!("{l:?}"), r#"[("app", "x")]"#);
        assert!(SharedLabels::default().is_empty());
    }
}
