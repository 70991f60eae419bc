//! The wire: how each protocol names an operation, carries parameters, and spells errors.

use std::borrow::Cow;
use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Form body with `Action=`, XML answers with `<XResult>` and `<ErrorResponse>` (STS, IAM).
    AwsQuery,
    /// Form body with `Action=`, XML answers without a result wrapper, `<Response><Errors>`.
    Ec2Query,
    /// `X-Amz-Target`, JSON both ways, `__type` errors.
    AwsJson,
    /// Operation in method and path, JSON bodies, `x-amzn-ErrorType` errors.
    RestJson,
    /// Operation in method, path and query subresource, XML bodies, unwrapped `<Error>`
    /// errors (S3; buckets in the virtual host).
    RestXml,
    /// restXml with wrapped `<ErrorResponse><Error>` errors (S3 Control).
    RestXmlWrapped,
    /// Smithy RPC v2 CBOR: `POST /service/{service}/operation/{op}`, CBOR both ways,
    /// `__type` errors (AWS Health).
    RpcCbor,
}

impl Protocol {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Protocol::AwsQuery | Protocol::Ec2Query => "text/xml",
            Protocol::AwsJson => "application/x-amz-json-1.1",
            Protocol::RestJson => "application/json",
            Protocol::RestXml | Protocol::RestXmlWrapped => "application/xml",
            Protocol::RpcCbor => "application/cbor",
        }
    }
}

/// A service's protocol and dialect.
#[derive(Debug)]
pub(crate) struct ServiceDef {
    /// The SigV4 signing name.
    pub(crate) name: &'static str,
    pub(crate) protocol: Protocol,
    pub(crate) xmlns: &'static str,
    /// Regional services refuse regions the account does not have.
    pub(crate) regional: bool,
    /// (HTTP status, code, message) of its throttling answer.
    pub(crate) throttle: (u16, &'static str, &'static str),
}

const RATE_EXCEEDED: &str = "Rate exceeded";

pub(crate) static SERVICES: &[ServiceDef] = &[
    ServiceDef {
        name: "sts",
        protocol: Protocol::AwsQuery,
        xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
        regional: false,
        throttle: (400, "Throttling", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "iam",
        protocol: Protocol::AwsQuery,
        xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
        regional: false,
        throttle: (400, "Throttling", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "ec2",
        protocol: Protocol::Ec2Query,
        xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/",
        regional: true,
        throttle: (503, "RequestLimitExceeded", "Request limit exceeded."),
    },
    ServiceDef {
        name: "organizations",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: false,
        throttle: (
            400,
            "TooManyRequestsException",
            "AWS Organizations can't complete your request because of too many requests. Try again later.",
        ),
    },
    ServiceDef {
        name: "cloudtrail",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: true,
        throttle: (400, "ThrottlingException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "config",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: true,
        throttle: (400, "ThrottlingException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "account",
        protocol: Protocol::RestJson,
        xmlns: "",
        regional: false,
        throttle: (429, "TooManyRequestsException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "lambda",
        protocol: Protocol::RestJson,
        xmlns: "",
        regional: true,
        throttle: (429, "TooManyRequestsException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "ecs",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: true,
        throttle: (400, "ThrottlingException", "Rate exceeded."),
    },
    ServiceDef {
        name: "eks",
        protocol: Protocol::RestJson,
        xmlns: "",
        regional: true,
        throttle: (429, "ThrottlingException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "sagemaker",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: true,
        throttle: (400, "ThrottlingException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "lightsail",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: true,
        throttle: (400, "ThrottlingException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "rds",
        protocol: Protocol::AwsQuery,
        xmlns: "http://rds.amazonaws.com/doc/2014-10-31/",
        regional: true,
        throttle: (400, "Throttling", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "guardduty",
        protocol: Protocol::RestJson,
        xmlns: "",
        regional: true,
        throttle: (429, "TooManyRequestsException", RATE_EXCEEDED),
    },
    ServiceDef {
        name: "ce",
        protocol: Protocol::AwsJson,
        xmlns: "",
        regional: false,
        throttle: (
            400,
            "LimitExceededException",
            "You have exceeded the rate limit for this operation.",
        ),
    },
    ServiceDef {
        name: "health",
        protocol: Protocol::RpcCbor,
        xmlns: "",
        regional: false,
        throttle: (400, "ThrottlingException", RATE_EXCEEDED),
    },
    // Bucket calls check the bucket's region themselves (a wrong one is redirected).
    ServiceDef {
        name: "s3",
        protocol: Protocol::RestXml,
        xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
        regional: false,
        throttle: (503, "SlowDown", "Please reduce your request rate."),
    },
    // Signs as `s3`; told apart by its `{account}.s3-control.{region}` host.
    ServiceDef {
        name: "s3control",
        protocol: Protocol::RestXmlWrapped,
        xmlns: "http://awss3control.amazonaws.com/doc/2018-08-20/",
        regional: false,
        throttle: (503, "SlowDown", "Please reduce your request rate."),
    },
];

pub(crate) fn service(name: &str) -> Option<&'static ServiceDef> {
    SERVICES.iter().find(|s| s.name == name)
}

/// What an error is, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    Throttled,
    Expired,
    Fault,
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: Cow<'static, str>,
    pub(crate) message: Cow<'static, str>,
    pub(crate) kind: ErrorKind,
    /// A header the error carries (S3's `x-amz-bucket-region` on a redirect).
    pub(crate) header: Option<(&'static str, String)>,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            kind: ErrorKind::Other,
            header: None,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.header = Some((name, value));
        self
    }

    pub(crate) fn kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn bad(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(400, code, message)
    }
}

pub(crate) const REQUEST_ID: &str = "0c5f3b7e-51a1-4d2b-9a6e-5e1a0c0f51b1";

/// An error body in the protocol's shape: (status, body, `x-amzn-ErrorType` for REST).
pub(crate) fn error_body(protocol: Protocol, xmlns: &str, err: &ApiError) -> Bytes {
    let mut out = String::with_capacity(256);
    match protocol {
        Protocol::AwsQuery => {
            let kind = if err.status >= 500 {
                "Receiver"
            } else {
                "Sender"
            };
            let _ = write!(
                out,
                "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{kind}</Type><Code>"
            );
            esc(&mut out, &err.code);
            out.push_str("</Code><Message>");
            esc(&mut out, &err.message);
            let _ = write!(
                out,
                "</Message></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
            );
        }
        Protocol::Ec2Query => {
            out.push_str(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>",
            );
            esc(&mut out, &err.code);
            out.push_str("</Code><Message>");
            esc(&mut out, &err.message);
            let _ = write!(
                out,
                "</Message></Error></Errors><RequestID>{REQUEST_ID}</RequestID></Response>"
            );
        }
        Protocol::AwsJson => {
            out.push_str("{\"__type\":");
            js(&mut out, &err.code);
            out.push_str(",\"message\":");
            js(&mut out, &err.message);
            out.push('}');
        }
        Protocol::RestJson => {
            out.push_str("{\"message\":");
            js(&mut out, &err.message);
            out.push('}');
        }
        Protocol::RestXml => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
            esc(&mut out, &err.code);
            out.push_str("</Code><Message>");
            esc(&mut out, &err.message);
            let _ = write!(
                out,
                "</Message><RequestId>{REQUEST_ID}</RequestId><HostId>b3JnDHN3ZWVwLXNpbQ==</HostId></Error>"
            );
        }
        Protocol::RestXmlWrapped => {
            out.push_str(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Code>",
            );
            esc(&mut out, &err.code);
            out.push_str("</Code><Message>");
            esc(&mut out, &err.message);
            let _ = write!(
                out,
                "</Message></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
            );
        }
        Protocol::RpcCbor => {
            let mut c = Cbor::new();
            c.map();
            c.kv("__type", &err.code);
            c.kv("message", &err.message);
            c.end();
            return c.into_bytes();
        }
    }
    Bytes::from(out)
}

/// The request's parameters, decoded once.
#[derive(Debug)]
pub(crate) enum Params {
    Form(Vec<(String, String)>),
    Json(Value),
}

impl Params {
    pub(crate) fn parse_form(body: &[u8]) -> Params {
        let mut out = Vec::new();
        for pair in body.split(|b| *b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            out.push((form_decode(k), form_decode(v)));
        }
        Params::Form(out)
    }

    /// A CBOR body, as the JSON value it stands for (timestamps become seconds).
    pub(crate) fn parse_cbor(body: &[u8]) -> Params {
        if body.is_empty() {
            return Params::Json(Value::Null);
        }
        let mut at = 0;
        Params::Json(cbor_value(body, &mut at, 0).unwrap_or(Value::Null))
    }

    pub(crate) fn parse_json(body: &[u8]) -> Params {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Params::Json(Value::Null);
        }
        Params::Json(serde_json::from_slice(body).unwrap_or(Value::Null))
    }

    /// A top-level string (or number, as text) parameter.
    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        match self {
            Params::Form(pairs) => pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            Params::Json(v) => v.get(key).and_then(Value::as_str),
        }
    }

    pub(crate) fn int(&self, key: &str) -> Option<i64> {
        match self {
            Params::Form(_) => self.str(key)?.parse().ok(),
            Params::Json(v) => v.get(key).and_then(Value::as_i64),
        }
    }

    /// The strings of a JSON request's array `key` (ids, ARNs, names); empty when absent.
    pub(crate) fn strings(&self, key: &str) -> Vec<&str> {
        self.json()
            .and_then(|v| v.get(key))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    pub(crate) fn json(&self) -> Option<&Value> {
        match self {
            Params::Json(v) => Some(v),
            Params::Form(_) => None,
        }
    }

    /// Form values whose key starts with `prefix` (`Filter.member.` → every filter).
    pub(crate) fn values<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let pairs: &[(String, String)] = match self {
            Params::Form(p) => p,
            Params::Json(_) => &[],
        };
        pairs
            .iter()
            .filter(move |(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn has_prefix(&self, prefix: &str) -> bool {
        self.values(prefix).next().is_some()
    }
}

fn form_decode(raw: &[u8]) -> String {
    if !raw.iter().any(|b| *b == b'%' || *b == b'+') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let plus: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// The SigV4 credential scope: (access key id, region, service).
pub(crate) fn credential_scope(authorization: &str) -> Option<(&str, &str, &str)> {
    let start = authorization.find("Credential=")? + "Credential=".len();
    let rest = &authorization[start..];
    let end = rest.find([',', ' ']).unwrap_or(rest.len());
    let mut parts = rest[..end].split('/');
    let key = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    let service = parts.next()?;
    Some((key, region, service))
}

/// XML-escapes `s` onto `out`.
pub(crate) fn esc(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''))
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// `<name>value</name>`, escaped.
pub(crate) fn el(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    esc(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A JSON string literal of `s` onto `out`.
pub(crate) fn js(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `"key":"value"` (with a leading comma unless first).
pub(crate) fn jf(out: &mut String, first: bool, key: &str, value: &str) {
    if !first {
        out.push(',');
    }
    js(out, key);
    out.push(':');
    js(out, value);
}

/// An awsQuery success body around `inner`.
pub(crate) fn query_body(xmlns: &str, op: &str, inner: impl FnOnce(&mut String)) -> Bytes {
    let mut out = String::with_capacity(512);
    let _ = write!(out, "<{op}Response xmlns=\"{xmlns}\"><{op}Result>");
    inner(&mut out);
    let _ = write!(
        out,
        "</{op}Result><ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata></{op}Response>"
    );
    Bytes::from(out)
}

/// An EC2 success body around `inner`.
pub(crate) fn ec2_body(op: &str, inner: impl FnOnce(&mut String)) -> Bytes {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{op}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{REQUEST_ID}</requestId>"
    );
    inner(&mut out);
    let _ = write!(out, "</{op}Response>");
    Bytes::from(out)
}

/// RFC 3986 encoding, as IAM returns policy documents.
pub(crate) fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// A CBOR writer for RPC v2 CBOR answers. Maps and arrays are written with indefinite
/// lengths (closed by [`Cbor::end`]), which every decoder accepts and which lets a body be
/// written in one pass.
#[derive(Debug, Default)]
pub(crate) struct Cbor(Vec<u8>);

impl Cbor {
    pub(crate) fn new() -> Self {
        Cbor(Vec::with_capacity(256))
    }

    fn head(&mut self, major: u8, n: u64) {
        let m = major << 5;
        match n {
            0..=23 => self.0.push(m | n as u8),
            24..=0xff => self.0.extend_from_slice(&[m | 24, n as u8]),
            0x100..=0xffff => {
                self.0.push(m | 25);
                self.0.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.0.push(m | 26);
                self.0.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                self.0.push(m | 27);
                self.0.extend_from_slice(&n.to_be_bytes());
            }
        }
    }

    pub(crate) fn map(&mut self) -> &mut Self {
        self.0.push(0xbf);
        self
    }

    pub(crate) fn array(&mut self) -> &mut Self {
        self.0.push(0x9f);
        self
    }

    pub(crate) fn end(&mut self) -> &mut Self {
        self.0.push(0xff);
        self
    }

    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.head(3, s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    pub(crate) fn int(&mut self, n: i64) -> &mut Self {
        if n >= 0 {
            self.head(0, n as u64);
        } else {
            self.head(1, (-1 - n) as u64);
        }
        self
    }

    /// Epoch seconds under tag 1, as Smithy timestamps are sent.
    pub(crate) fn timestamp(&mut self, secs: i64) -> &mut Self {
        self.0.push(0xc1);
        self.int(secs)
    }

    /// A key, then a string value.
    pub(crate) fn kv(&mut self, key: &str, value: &str) -> &mut Self {
        self.str(key).str(value)
    }

    pub(crate) fn into_bytes(self) -> Bytes {
        Bytes::from(self.0)
    }
}

/// One CBOR data item as JSON: enough for request bodies (maps, arrays, strings, numbers,
/// booleans, null; tags are dropped, so timestamps become numbers).
fn cbor_value(b: &[u8], at: &mut usize, depth: u32) -> Option<Value> {
    if depth > 64 {
        return None;
    }
    let first = *b.get(*at)?;
    *at += 1;
    let (major, info) = (first >> 5, first & 0x1f);
    let arg = |at: &mut usize| -> Option<Option<u64>> {
        let n = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let len = 1usize << (info - 24);
                let bytes = b.get(*at..*at + len)?;
                *at += len;
                bytes.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
            }
            31 => return Some(None),
            _ => return None,
        };
        Some(Some(n))
    };
    match major {
        0 => Some(Value::from(arg(at)??)),
        1 => Some(Value::from(-1 - i64::try_from(arg(at)??).ok()?)),
        2 | 3 => {
            let mut bytes = Vec::new();
            match arg(at)? {
                Some(len) => {
                    let len = usize::try_from(len).ok()?;
                    bytes.extend_from_slice(b.get(*at..*at + len)?);
                    *at += len;
                }
                None => loop {
                    if *b.get(*at)? == 0xff {
                        *at += 1;
                        break;
                    }
                    match cbor_value(b, at, depth + 1)? {
                        Value::String(s) => bytes.extend_from_slice(s.as_bytes()),
                        _ => return None,
                    }
                },
            }
            Some(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        4 => {
            let mut items = Vec::new();
            match arg(at)? {
                Some(n) => {
                    for _ in 0..n {
                        items.push(cbor_value(b, at, depth + 1)?);
                    }
                }
                None => {
                    while *b.get(*at)? != 0xff {
                        items.push(cbor_value(b, at, depth + 1)?);
                    }
                    *at += 1;
                }
            }
            Some(Value::Array(items))
        }
        5 => {
            let mut map = serde_json::Map::new();
            let mut pair = |at: &mut usize| -> Option<()> {
                let key = match cbor_value(b, at, depth + 1)? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let value = cbor_value(b, at, depth + 1)?;
                map.insert(key, value);
                Some(())
            };
            match arg(at)? {
                Some(n) => {
                    for _ in 0..n {
                        pair(at)?;
                    }
                }
                None => {
                    while *b.get(*at)? != 0xff {
                        pair(at)?;
                    }
                    *at += 1;
                }
            }
            Some(Value::Object(map))
        }
        6 => {
            arg(at)??;
            cbor_value(b, at, depth + 1)
        }
        _ => match info {
            20 => Some(Value::Bool(false)),
            21 => Some(Value::Bool(true)),
            22 | 23 => Some(Value::Null),
            25 => {
                let h = u16::from_be_bytes(b.get(*at..*at + 2)?.try_into().ok()?);
                *at += 2;
                Some(Value::from(f16_to_f64(h)))
            }
            26 => {
                let f = f32::from_be_bytes(b.get(*at..*at + 4)?.try_into().ok()?);
                *at += 4;
                Some(Value::from(f64::from(f)))
            }
            27 => {
                let f = f64::from_be_bytes(b.get(*at..*at + 8)?.try_into().ok()?);
                *at += 8;
                Some(Value::from(f))
            }
            _ => None,
        },
    }
}

fn f16_to_f64(h: u16) -> f64 {
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => f64::INFINITY,
        e => (1.0 + mant / 1024.0) * 2f64.powi(e - 15),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scope_and_form() {
        let auth = "AWS4-HMAC-SHA256 Credential=ASIA123/20240101/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(
            credential_scope(auth),
            Some(("ASIA123", "eu-west-1", "ec2"))
        );
        let p = Params::parse_form(b"Action=DescribeInstances&NextToken=a%2Bb&Filter.1.Name=x+y");
        assert_eq!(p.str("Action"), Some("DescribeInstances"));
        assert_eq!(p.str("NextToken"), Some("a+b"));
        assert_eq!(p.str("Filter.1.Name"), Some("x y"));
        assert!(p.has_prefix("Filter."));
        let mut s = String::new();
        js(&mut s, "a\"b\n");
        assert_eq!(s, "\"a\\\"b\\n\"");
    }

    #[test]
    fn cbor_round_trips_what_requests_carry() {
        let mut c = Cbor::new();
        c.map()
            .kv("eventArn", "arn:x")
            .str("maxResults")
            .int(100)
            .str("neg")
            .int(-300)
            .str("list")
            .array()
            .str("a")
            .str("b")
            .end()
            .str("t")
            .timestamp(1_700_000_000)
            .end();
        let Params::Json(v) = Params::parse_cbor(&c.into_bytes()) else {
            panic!("json");
        };
        assert_eq!(v["eventArn"], "arn:x");
        assert_eq!(v["maxResults"], 100);
        assert_eq!(v["neg"], -300);
        assert_eq!(v["list"][1], "b");
        assert_eq!(v["t"], 1_700_000_000);
        // Definite lengths and a float, as the SDK writes them.
        let body = [
            0xa2, 0x61, b'a', 0x18, 0x64, 0x61, b'b', 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
        ];
        let Params::Json(v) = Params::parse_cbor(&body) else {
            panic!("json");
        };
        assert_eq!(v["a"], 100);
        assert_eq!(v["b"], 1.5);
    }
}
