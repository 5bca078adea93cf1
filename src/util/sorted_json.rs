//! JSON with the keys of every object in alphabetical order, as coreheat's JSON
//! outputs have always been written, for any `Serialize` value: [`Sorted`]
//! re-emits a value with its objects' keys sorted, and keeps 128-bit integers
//! exact (a `serde_json::Value` cannot hold one above `u64::MAX`).
//!
//! Why not struct field order or a `BTreeMap`: the sorted keys are part of the
//! documented contract (tests/json_contract.rs checks them), and several
//! outputs are `#[serde(flatten)]`ed from two structs (sweep.json is the saved
//! sweep and its comparison, `sweep --json` the comparison and where it was
//! written), whose keys interleave, which no field order can sort; a
//! `serde_json::Value` (a `BTreeMap` of keys) would sort them but loses a
//! `count --n` above 2^64, which the trace header and `run --json` carry
//! exactly. Keeping every struct's fields alphabetical by hand would also tie
//! the code's reading order to the output's.

use std::collections::BTreeMap;

use serde::ser::{self, Serialize, Serializer};

/// `value` as compact JSON, every object's keys in alphabetical order.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(&Sorted(value))
}

/// `value` as indented JSON, every object's keys in alphabetical order.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Sorted(value))
}

/// Serializes the value it wraps with every object's keys in alphabetical
/// order (for `#[serde(serialize_with)]` too: see [`serialize`]).
pub struct Sorted<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Sorted<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let node = self
            .0
            .serialize(NodeSerializer)
            .map_err(ser::Error::custom)?;
        node.serialize(serializer)
    }
}

/// For `#[serde(serialize_with = "crate::util::sorted_json::serialize")]`.
pub fn serialize<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    Sorted(value).serialize(serializer)
}

/// A serialized value whose objects keep their keys sorted.
enum Node {
    Null,
    Bool(bool),
    Signed(i128),
    Unsigned(u128),
    Float(f64),
    Text(String),
    List(Vec<Node>),
    Object(BTreeMap<String, Node>),
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Signed(n) => match i64::try_from(*n) {
                Ok(small) => serializer.serialize_i64(small),
                Err(_) => serializer.serialize_i128(*n),
            },
            Node::Unsigned(n) => match u64::try_from(*n) {
                Ok(small) => serializer.serialize_u64(small),
                Err(_) => serializer.serialize_u128(*n),
            },
            Node::Float(x) => serializer.serialize_f64(*x),
            Node::Text(s) => serializer.serialize_str(s),
            Node::List(items) => serializer.collect_seq(items),
            Node::Object(entries) => serializer.collect_map(entries),
        }
    }
}

/// Builds a [`Node`] the way `serde_json::to_value` builds a `Value`: enums
/// externally tagged, `f32` widened to `f64`, map keys as strings.
struct NodeSerializer;

type Done = Result<Node, serde_json::Error>;

/// `value`, or the object `{variant: value}` of an externally tagged enum.
fn tagged(variant: Option<&str>, value: Node) -> Node {
    match variant {
        Some(variant) => Node::Object(BTreeMap::from([(variant.to_string(), value)])),
        None => value,
    }
}

/// `serialize_*` methods that keep a scalar as the [`Node`] variant given,
/// widened to its type (`i8` to `i128`, `f32` to `f64`).
macro_rules! scalars {
    ($($method:ident($ty:ty) => $variant:ident),*) => {$(
        fn $method(self, v: $ty) -> Done {
            Ok(Node::$variant(v.into()))
        }
    )*};
}

impl Serializer for NodeSerializer {
    type Ok = Node;
    type Error = serde_json::Error;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = ListBuilder;
    type SerializeMap = ObjectBuilder;
    type SerializeStruct = ObjectBuilder;
    type SerializeStructVariant = ObjectBuilder;

    scalars!(
        serialize_bool(bool) => Bool,
        serialize_i8(i8) => Signed,
        serialize_i16(i16) => Signed,
        serialize_i32(i32) => Signed,
        serialize_i64(i64) => Signed,
        serialize_i128(i128) => Signed,
        serialize_u8(u8) => Unsigned,
        serialize_u16(u16) => Unsigned,
        serialize_u32(u32) => Unsigned,
        serialize_u64(u64) => Unsigned,
        serialize_u128(u128) => Unsigned,
        serialize_f32(f32) => Float,
        serialize_f64(f64) => Float
    );
    fn serialize_char(self, v: char) -> Done {
        Ok(Node::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Done {
        Ok(Node::Text(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Done {
        Ok(Node::List(
            v.iter().map(|&b| Node::Unsigned(b.into())).collect(),
        ))
    }
    fn serialize_none(self) -> Done {
        Ok(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Done {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Done {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Done {
        Ok(Node::Text(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Done {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Done {
        Ok(tagged(Some(variant), value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder, serde_json::Error> {
        Ok(ListBuilder::new(None, len.unwrap_or(0)))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListBuilder, serde_json::Error> {
        Ok(ListBuilder::new(None, len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ListBuilder, serde_json::Error> {
        Ok(ListBuilder::new(None, len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<ListBuilder, serde_json::Error> {
        Ok(ListBuilder::new(Some(variant), len))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<ObjectBuilder, serde_json::Error> {
        Ok(ObjectBuilder::new(None))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectBuilder, serde_json::Error> {
        Ok(ObjectBuilder::new(None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<ObjectBuilder, serde_json::Error> {
        Ok(ObjectBuilder::new(Some(variant)))
    }
}

/// An array being built; inside `{variant: [...]}` for a tuple variant.
struct ListBuilder {
    variant: Option<&'static str>,
    items: Vec<Node>,
}

impl ListBuilder {
    fn new(variant: Option<&'static str>, len: usize) -> ListBuilder {
        ListBuilder {
            variant,
            items: Vec::with_capacity(len),
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        self.items.push(value.serialize(NodeSerializer)?);
        Ok(())
    }

    fn finish(self) -> Done {
        Ok(tagged(self.variant, Node::List(self.items)))
    }
}

/// The serde traits a [`ListBuilder`] serves: each element goes to `push`.
macro_rules! list_traits {
    ($($name:ident :: $method:ident),*) => {$(
        impl ser::$name for ListBuilder {
            type Ok = Node;
            type Error = serde_json::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
                self.push(value)
            }
            fn end(self) -> Done {
                self.finish()
            }
        }
    )*};
}

list_traits!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object being built; inside `{variant: {...}}` for a struct variant.
struct ObjectBuilder {
    variant: Option<&'static str>,
    entries: BTreeMap<String, Node>,
    /// The key of `serialize_key`, waiting for its value.
    key: Option<String>,
}

impl ObjectBuilder {
    fn new(variant: Option<&'static str>) -> ObjectBuilder {
        ObjectBuilder {
            variant,
            entries: BTreeMap::new(),
            key: None,
        }
    }

    fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: String,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.entries.insert(key, value.serialize(NodeSerializer)?);
        Ok(())
    }

    fn finish(self) -> Done {
        Ok(tagged(self.variant, Node::Object(self.entries)))
    }
}

/// A map key as JSON has it: a string, or a number or boolean written as one.
fn key_text(key: Node) -> Result<String, serde_json::Error> {
    match key {
        Node::Text(text) => Ok(text),
        Node::Bool(b) => Ok(b.to_string()),
        Node::Signed(n) => Ok(n.to_string()),
        Node::Unsigned(n) => Ok(n.to_string()),
        _ => Err(ser::Error::custom("key must be a string")),
    }
}

impl ser::SerializeMap for ObjectBuilder {
    type Ok = Node;
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.key = Some(key_text(key.serialize(NodeSerializer)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ser::Error::custom("a map value came without its key"))?;
        self.insert(key, value)
    }
    fn end(self) -> Done {
        self.finish()
    }
}

/// The serde traits of structs an [`ObjectBuilder`] serves: each field goes to `insert`.
macro_rules! struct_traits {
    ($($name:ident),*) => {$(
        impl ser::$name for ObjectBuilder {
            type Ok = Node;
            type Error = serde_json::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Self::Error> {
                self.insert(key.to_string(), value)
            }
            fn end(self) -> Done {
                self.finish()
            }
        }
    )*};
}

struct_traits!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Inner {
        zeta: u32,
        alpha: Option<f32>,
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "lowercase")]
    enum Tagged {
        Limit { source: String, cpus: f64 },
    }

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum External {
        Count(Vec<u128>),
        Strong,
    }

    #[derive(Serialize)]
    struct Outer {
        sums: Vec<u128>,
        inner: Vec<Inner>,
        tagged: Tagged,
        external: External,
        unit: External,
        nothing: Option<String>,
        negative: i128,
        not_a_number: f64,
    }

    fn outer() -> Outer {
        Outer {
            sums: vec![36893488143124135936, 5],
            inner: vec![Inner {
                zeta: 1,
                alpha: Some(0.1),
            }],
            tagged: Tagged::Limit {
                source: "cgroup".into(),
                cpus: 1.5,
            },
            external: External::Count(vec![1]),
            unit: External::Strong,
            nothing: None,
            negative: -170141183460469231731687303715884105728,
            not_a_number: f64::NAN,
        }
    }

    #[test]
    fn keys_come_sorted_at_every_level_and_big_integers_stay_exact() {
        assert_eq!(
            to_string(&outer()).unwrap(),
            r#"{"external":{"count":[1]},"inner":[{"alpha":0.10000000149011612,"zeta":1}],"negative":-170141183460469231731687303715884105728,"not_a_number":null,"nothing":null,"sums":[36893488143124135936,5],"tagged":{"cpus":1.5,"kind":"limit","source":"cgroup"},"unit":"strong"}"#
        );
    }

    #[test]
    fn what_a_json_value_can_hold_comes_out_as_from_a_json_value() {
        let mut small = outer();
        small.sums = vec![7];
        small.negative = -3;
        let value = serde_json::to_value(&small).unwrap();
        assert_eq!(
            to_string(&small).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
        assert_eq!(
            to_string_pretty(&small).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn a_map_with_keys_json_cannot_have_is_an_error() {
        let map = BTreeMap::from([(vec![1u8], 1u8)]);
        assert!(to_string(&map).is_err());
    }
}
