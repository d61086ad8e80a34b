//! JSON decoding that reads structs only as objects. serde's derive gives every
//! struct a decoder of the object form and one of the array form (`[1, "a"]`), and
//! serde_json's `deserialize_struct` compiles both into the wasm for every struct;
//! the API never sends the array form. [`Maps`] wraps a deserializer, and every
//! deserializer, visitor and access it hands on, and asks for a map where a struct
//! is wanted, so the array form is never compiled.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// `T` from JSON text, structs read as objects only.
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Maps(&mut de))?;
    de.end()?;
    Ok(value)
}

/// A deserializer, visitor, seed or access whose structs are read as maps.
pub struct Maps<T>(T);

macro_rules! forward {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Maps(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Maps<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Maps(v))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Maps(v))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Maps(v))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Maps(v))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Maps(v))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        // Enum contents are not wrapped: the API's enums travel as strings.
        self.0.deserialize_enum(name, variants, v)
    }
}

macro_rules! forward_values {
    ($($method:ident: $t:ty)*) => {
        $(fn $method<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
            self.0.$method(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Maps<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_values! {
        visit_bool: bool visit_i64: i64 visit_u64: u64 visit_f64: f64 visit_str: &str
        visit_borrowed_str: &'de str visit_string: String visit_bytes: &[u8]
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Maps(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Maps(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Maps(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Maps(map))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(data)
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Maps<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Maps(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Maps<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Maps(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Maps<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Maps(seed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(Maps(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::{json, Value};
    use shared::{Page, RequestKind, Vault};

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        name: String,
        kind: RequestKind,
        inner: Option<Inner>,
        list: Vec<Inner>,
        map: BTreeMap<String, String>,
        any: Value,
        #[serde(default)]
        absent: Option<i64>,
        pair: (i64, String),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        n: i64,
        f: f64,
        ok: bool,
    }

    /// Decodes `value` both ways: through `Maps` and through serde_json alone.
    fn both<T: de::DeserializeOwned>(value: &Value) -> (Result<T, String>, Result<T, String>) {
        let text = value.to_string();
        (from_str(&text).map_err(|e| e.to_string()), serde_json::from_str(&text).map_err(|e| e.to_string()))
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let outer = json!({
            "name": "a", "kind": "cross_account_restore",
            "inner": {"n": 1, "f": 2.5, "ok": true, "unknown": [1, {"x": null}]},
            "list": [{"n": 2, "f": -1.0, "ok": false}], "map": {"k": "v"},
            "any": {"nested": [1, "two", {"three": 3.5}], "none": null}, "pair": [7, "seven"],
        });
        let (maps, plain) = both::<Outer>(&outer);
        assert_eq!(maps, plain);
        assert!(maps.is_ok());

        let vault = json!({
            "arn": "arn:aws:backup:eu-west-1:111111111111:backup-vault:central", "account_id": "111111111111",
            "region": "eu-west-1", "name": "central", "vault_type": null, "state": "AVAILABLE",
            "encryption_key_arn": null, "created_at": "2026-11-27T12:00:00Z", "recovery_points": 3,
            "locked": false, "access_policy": null,
        });
        let page = json!({"items": [vault], "next_cursor": "abc"});
        let (maps, plain) = both::<Page<Vault>>(&page);
        assert_eq!(maps, plain);
        assert_eq!(maps.map(|p| p.items.len()), Ok(1));
    }

    #[test]
    fn fails_where_serde_json_fails() {
        for bad in
            [json!({"n": 1, "f": 1.0}), json!({"n": "one", "f": 1.0, "ok": true}), json!([1, 1.0, true]), json!(null)]
        {
            let (maps, plain) = both::<Inner>(&bad);
            assert!(maps.is_err(), "{bad}");
            assert!(plain.is_err() || bad.is_array(), "{bad}");
        }
        assert!(from_str::<Inner>(r#"{"n": 1, "f": 1.0, "ok": true} x"#).is_err());
        let unknown = json!({"name": "a", "kind": "teleport"});
        assert!(both::<Outer>(&unknown).0.is_err_and(|e| e.contains("cross_account_restore")));
    }
}
