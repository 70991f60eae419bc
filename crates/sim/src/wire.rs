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
}

impl Protocol {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Protocol::AwsQuery | Protocol::Ec2Query => "text/xml",
            Protocol::AwsJson => "application/x-amz-json-1.1",
            Protocol::RestJson => "application/json",
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
        }
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
}
