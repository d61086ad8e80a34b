//! The view's state in the URL: filters, paging and the selected item live in the
//! query string, so that a link shows a colleague the same view. Pure, so that
//! `cargo test` checks it on the host.

/// A query string as ordered, decoded pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

/// Keys that belong to the page, never forwarded to the API.
const VIEW_KEYS: [&str; 4] = ["selected", "resource", "kind", "tab"];

/// Where a page starts (`cursor`: after an item) or ends (`before`: before one).
const PAGING_KEYS: [&str; 2] = ["cursor", "before"];

impl Query {
    /// Parses `?a=1&b=x%20y` (the leading `?` is optional); empty values are dropped.
    pub fn parse(search: &str) -> Self {
        let pairs = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let (k, v) = (decode(k), decode(v));
                (!k.is_empty() && !v.is_empty()).then_some((k, v))
            })
            .collect();
        Query(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The query with `key` set to `value` (or removed when `None` or empty).
    /// Changing anything but the page or the selection starts again at the
    /// first page, since the old cursor belongs to the old filters; a page starts
    /// at one cursor only.
    pub fn with(&self, key: &str, value: Option<&str>) -> Self {
        let paging = PAGING_KEYS.contains(&key);
        let keeps_page = !paging && VIEW_KEYS.contains(&key);
        let mut pairs: Vec<(String, String)> = self
            .0
            .iter()
            .filter(|(k, _)| k != key && (keeps_page || !PAGING_KEYS.contains(&k.as_str())))
            .cloned()
            .collect();
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            pairs.push((key.to_string(), v.to_string()));
        }
        Query(pairs)
    }

    /// `?a=1&b=2`, or an empty string when there is nothing.
    pub fn to_search(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let body: Vec<String> = self.0.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        format!("?{}", body.join("&"))
    }

    /// The API query for a list: the pairs whose keys the list takes (`allowed`),
    /// plus `extra` fixed pairs, as `?…`.
    pub fn api(&self, allowed: &[&str], extra: &[(&str, &str)]) -> String {
        let mut q = Query(
            self.0
                .iter()
                .filter(|(k, _)| allowed.contains(&k.as_str()) && !VIEW_KEYS.contains(&k.as_str()))
                .cloned()
                .collect(),
        );
        for (k, v) in extra {
            q.0.retain(|(key, _)| key != k);
            q.0.push((k.to_string(), v.to_string()));
        }
        q.to_search()
    }

    /// Whether any of these filters is set (for "clear filters" and empty-state wording).
    pub fn has_any(&self, keys: &[&str]) -> bool {
        self.0.iter().any(|(k, _)| keys.contains(&k.as_str()))
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes percent-encoding and `+` as space; malformed escapes stay as they are.
pub fn decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";

    #[test]
    fn round_trips_through_the_address_bar() {
        let q = Query::default().with("resource_arn", Some(ARN)).with("status", Some("COMPLETED"));
        let search = q.to_search();
        assert_eq!(
            search,
            "?resource_arn=arn%3Aaws%3Adynamodb%3Aap-southeast-2%3A111111111111%3Atable%2Ftracking&status=COMPLETED"
        );
        assert_eq!(Query::parse(&search), q);
        assert_eq!(Query::parse(&search).get("resource_arn"), Some(ARN));
        assert_eq!(Query::parse("a=x+y&b=%zz&c=").get("a"), Some("x y"));
        assert_eq!(Query::parse("b=%zz").get("b"), Some("%zz"));
        assert_eq!(Query::parse("c=&d").to_search(), "");
        assert_eq!(decode("caf%C3%A9"), "café");
        assert_eq!(decode("50%"), "50%");
    }

    #[test]
    fn a_new_filter_starts_at_the_first_page() {
        let q = Query::parse("account_id=111111111111&cursor=abc");
        assert_eq!(q.with("status", Some("FAILED")).get("cursor"), None);
        assert_eq!(q.with("cursor", Some("def")).get("cursor"), Some("def"));
        assert_eq!(q.with("selected", Some(ARN)).get("cursor"), Some("abc"), "opening a detail keeps the page");
        let back = q.with("before", Some("xyz"));
        assert_eq!((back.get("before"), back.get("cursor")), (Some("xyz"), None), "one cursor at a time");
        assert_eq!(back.with("cursor", Some("def")).get("before"), None);
        assert_eq!(
            back.with("account_id", Some("2")).to_search(),
            "?account_id=2",
            "a filter starts at the first page"
        );
        assert_eq!(q.with("account_id", None).to_search(), "");
        assert_eq!(q.with("account_id", Some("")).get("account_id"), None);
    }

    #[test]
    fn the_api_gets_only_what_the_list_takes() {
        let q = Query::parse("account_id=1&selected=x&kind=copy&cursor=c&junk=1");
        assert_eq!(
            q.api(&["account_id", "cursor", "selected"], &[("limit", "100")]),
            "?account_id=1&cursor=c&limit=100"
        );
        assert_eq!(Query::default().api(&["a"], &[]), "");
        assert!(q.has_any(&["account_id"]));
        assert!(!q.has_any(&["status"]));
    }
}
