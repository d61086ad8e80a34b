//! CSV for spreadsheets (the evidence pack's tables and the audit log export),
//! written by the `csv` crate from serde records: one quoting rule, and text a
//! spreadsheet would run as a formula is defused.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde::Serialize as DeriveSerialize;
use shared::AuditRecord;

/// `rows` as CSV lines (`\n`-terminated), after a header line of `R`'s field
/// names when `header` (also when there are no rows).
pub fn to_csv<R: Serialize + Default>(rows: impl IntoIterator<Item = R>, header: bool) -> csv::Result<Vec<u8>> {
    let mut out = csv::WriterBuilder::new().has_headers(header).from_writer(Vec::new());
    let mut empty = true;
    for row in rows {
        out.serialize(Defused(&row))?;
        empty = false;
    }
    if header && empty {
        // The csv crate writes the header with the first row: write a default row and cut it off.
        out.serialize(Defused(&R::default()))?;
    }
    let mut bytes = out.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    if header && empty {
        let end = bytes.iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| i + 1);
        bytes.truncate(end);
    }
    Ok(bytes)
}

/// OWASP's advice against CSV injection (the "CSV Injection" page): a cell that starts
/// like a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`, so the spreadsheet
/// shows it as text. The csv crate quotes cells holding `,`, `"`, LF or CR.
pub fn defuse(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One audit record as a CSV row: the NDJSON export's fields, `details` as JSON text.
#[derive(DeriveSerialize, Default)]
struct AuditRow<'a> {
    seq: i64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    details: String,
    prev_hash: &'a str,
    hash: &'a str,
}

/// Audit records as CSV, after the header line when `header`.
pub fn audit_csv(records: &[AuditRecord], header: bool) -> csv::Result<Vec<u8>> {
    to_csv(
        records.iter().map(|r| AuditRow {
            seq: r.seq,
            at: &r.at,
            actor: &r.actor,
            action: &r.action,
            subject: &r.subject,
            details: r.details.to_string(),
            prev_hash: &r.prev_hash,
            hash: &r.hash,
        }),
        header,
    )
}

/// A value whose strings are written through [`defuse`]; numbers stay as they are.
struct Defused<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Defused<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(DefuseStrings(s))
    }
}

/// Passes everything to the csv crate's serializer, defusing strings on the way
/// (the fields of a record are flat, so structs, options and newtypes are enough).
struct DefuseStrings<S>(S);

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.0.$method(v)
        }
    )*};
}

impl<S: Serializer> Serializer for DefuseStrings<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = DefuseFields<S::SerializeStruct>;
    type SerializeStructVariant = S::SerializeStructVariant;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(&defuse(v))
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Defused(v))
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }

    fn serialize_unit_variant(self, name: &'static str, i: u32, variant: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, i, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Defused(v))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        i: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_variant(name, i, variant, &Defused(v))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<S::SerializeSeq, S::Error> {
        self.0.serialize_seq(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<S::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len)
    }

    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<S::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<S::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple_variant(name, i, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<S::SerializeMap, S::Error> {
        self.0.serialize_map(len)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(DefuseFields)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<S::SerializeStructVariant, S::Error> {
        self.0.serialize_struct_variant(name, i, variant, len)
    }
}

struct DefuseFields<S>(S);

impl<S: SerializeStruct> SerializeStruct for DefuseFields<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Defused(v))
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[derive(DeriveSerialize, Default)]
    struct Row<'a> {
        text: &'a str,
        note: Option<&'a str>,
        minutes: Option<i64>,
        ok: bool,
    }

    fn read(bytes: &[u8]) -> csv::Result<Vec<Vec<String>>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
            .collect()
    }

    #[test]
    fn awkward_text_round_trips_and_formulas_are_defused() -> TestResult {
        let texts = [
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "=cmd|' /C calc'!A0",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "+1",
            "plain",
            "a\rb",
        ];
        let rows = texts.iter().map(|t| Row { text: t, note: Some(t), minutes: Some(-5), ok: true });
        let bytes = to_csv(rows, true)?;
        let read = read(&bytes)?;
        assert_eq!(read.len(), 1 + texts.len());
        assert_eq!(read[0], ["text", "note", "minutes", "ok"]);
        let expected = [
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "'=cmd|' /C calc'!A0",
            "'-1+2",
            "'@SUM(A1)",
            "'\tx",
            "'\rx",
            "'+1",
            "plain",
            "a\rb",
        ];
        for (row, want) in read[1..].iter().zip(expected) {
            assert_eq!(row, &[want, want, "-5", "true"], "numbers are not text and stay as they are");
        }
        let text = String::from_utf8(bytes)?;
        assert!(text.starts_with("text,note,minutes,ok\n\"a,b\",\"a,b\",-5,true\n\"say \"\"hi\"\"\","), "{text}");
        assert!(text.ends_with("\"a\rb\",\"a\rb\",-5,true\n"), "a CR is quoted like a LF: {text:?}");
        Ok(())
    }

    #[test]
    fn no_rows_is_a_header_alone_and_none_is_an_empty_cell() -> TestResult {
        assert_eq!(to_csv(Vec::<Row>::new(), true)?, b"text,note,minutes,ok\n");
        assert_eq!(to_csv(Vec::<Row>::new(), false)?, b"");
        assert_eq!(to_csv([Row { text: "x", ..Default::default() }], false)?, b"x,,,false\n");
        Ok(())
    }

    #[test]
    fn the_audit_csv_has_the_export_fields_and_details_as_json() -> TestResult {
        let record = AuditRecord {
            seq: 1,
            at: "2026-11-28T00:00:00.000Z".into(),
            actor: "=HYPERLINK(\"x\")".into(),
            action: "request.created".into(),
            subject: "request:1".into(),
            details: serde_json::json!({"a": "b,c"}),
            prev_hash: "0".repeat(64),
            hash: "f".repeat(64),
        };
        let read = read(&audit_csv(&[record], true)?)?;
        assert_eq!(read[0], ["seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"]);
        assert_eq!(read[1][2], "'=HYPERLINK(\"x\")");
        assert_eq!(read[1][5], r#"{"a":"b,c"}"#);
        assert_eq!(audit_csv(&[], true)?, b"seq,at,actor,action,subject,details,prev_hash,hash\n");
        Ok(())
    }
}
