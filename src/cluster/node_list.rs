//! The cluster's nodes, indexed by [`NodeId`], remembering which nodes were handed out for
//! change since the scheduler last asked.
//!
//! Why: the scheduler keeps each node's verdict for the current pod shape and must learn which
//! nodes changed between two cycles without looking at all 2,000 of them. Reading goes through
//! `Deref<Target = [Node]>`; every mutable access (`IndexMut`, [`NodeList::push`]) notes the
//! node, so no change can slip past: a node noted but not changed only costs the scheduler a
//! version comparison.

use std::ops::{Deref, Index, IndexMut};

use super::node::{Node, NodeId};

/// Nodes plus the ids touched mutably since the last [`NodeList::take_touched`].
#[derive(Debug, Default)]
pub struct NodeList {
    nodes: Vec<Node>,
    /// Touched ids, each once.
    touched: Vec<NodeId>,
    /// `is_touched[id]` while `id` is in `touched`.
    is_touched: Vec<bool>,
}

impl NodeList {
    /// Adds a node (its id is the current length) and notes it.
    pub fn push(&mut self, node: Node) {
        self.nodes.push(node);
        self.is_touched.push(false);
        self.note(self.nodes.len() - 1);
    }

    /// The ids touched since the last call, in first-touch order; `buf` is cleared and filled
    /// (pass the previous buffer back to avoid allocating).
    pub fn take_touched(&mut self, buf: &mut Vec<NodeId>) {
        buf.clear();
        std::mem::swap(buf, &mut self.touched);
        for id in buf.iter() {
            self.is_touched[id.0 as usize] = false;
        }
    }

    #[inline]
    fn note(&mut self, i: usize) {
        if !self.is_touched[i] {
            self.is_touched[i] = true;
            self.touched.push(NodeId(i as u32));
        }
    }
}

impl Deref for NodeList {
    type Target = [Node];
    fn deref(&self) -> &[Node] {
        &self.nodes
    }
}

impl Index<usize> for NodeList {
    type Output = Node;
    #[inline]
    fn index(&self, i: usize) -> &Node {
        &self.nodes[i]
    }
}

impl IndexMut<usize> for NodeList {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut Node {
        self.note(i);
        &mut self.nodes[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::resources::Resources;

    #[test]
    fn mutable_access_is_noted_once_and_reads_are_not() {
        let mut l = NodeList::default();
        for i in 0..3 {
            l.push(Node::ready(&format!("n{i}"), 0, "z", Resources::default()));
        }
        let mut buf = Vec::new();
        l.take_touched(&mut buf);
        assert_eq!(buf, vec![NodeId(0), NodeId(1), NodeId(2)]);
        l.take_touched(&mut buf);
        assert!(buf.is_empty());
        let _ = l[1].name.len();
        assert_eq!(l.iter().count(), 3);
        l[2].cordon();
        l[0].cordon();
        l[2].cordon();
        l.take_touched(&mut buf);
        assert_eq!(buf, vec![NodeId(2), NodeId(0)]);
    }
}
