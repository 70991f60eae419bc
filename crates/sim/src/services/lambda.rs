//! Lambda (restJson1): ListFunctions, 50 functions a page.

use bytes::Bytes;

use crate::clock::iso;
use crate::region_model::Item;
use crate::services::{Ctx, JsonList, jn, json_list};
use crate::sim::{Call, Sim, Table};
use crate::wire::{ApiError, jf};

pub(crate) fn register(t: &mut Table) {
    t.route(
        "lambda",
        "GET",
        "/2015-03-31/functions",
        "ListFunctions",
        list_functions,
    );
}

/// Lambda writes `2024-05-01T10:00:00.000+0000`.
fn lambda_time(secs: i64) -> String {
    let mut s = iso(secs);
    s.pop();
    s + ".000+0000"
}

fn function(o: &mut String, f: &Item, ctx: &Ctx<'_>) {
    o.push('{');
    jf(o, true, "FunctionName", &f.name);
    jf(
        o,
        false,
        "FunctionArn",
        &format!(
            "arn:aws:lambda:{}:{}:function:{}",
            ctx.region, ctx.account, f.name
        ),
    );
    jf(o, false, "Runtime", f.size);
    jf(
        o,
        false,
        "Role",
        &format!("arn:aws:iam::{}:role/{}-role", ctx.account, f.name),
    );
    jf(o, false, "Handler", "index.handler");
    jn(o, "CodeSize", 4_096);
    jf(o, false, "Description", "");
    jn(o, "Timeout", 30);
    jn(o, "MemorySize", f.detail);
    jf(o, false, "LastModified", &lambda_time(f.created));
    jf(
        o,
        false,
        "CodeSha256",
        "dGhpcyBpcyBub3QgYSByZWFsIGNvZGUgaGFzaCE=",
    );
    jf(o, false, "Version", "$LATEST");
    o.push_str(",\"TracingConfig\":{\"Mode\":\"PassThrough\"}");
    jf(
        o,
        false,
        "RevisionId",
        "9d2f3c1a-7b5e-4c8d-a1f0-2b3c4d5e6f70",
    );
    jf(o, false, "PackageType", "Zip");
    o.push_str(",\"Architectures\":[\"x86_64\"],\"EphemeralStorage\":{\"Size\":512}");
    o.push_str(",\"LoggingConfig\":{\"LogFormat\":\"Text\"");
    jf(o, false, "LogGroup", &format!("/aws/lambda/{}", f.name));
    o.push_str("}}");
}

fn list_functions(sim: &Sim, call: &Call<'_>) -> Result<Bytes, ApiError> {
    json_list(
        sim,
        call,
        &JsonList {
            key: "Functions",
            token_in: "Marker",
            size_in: "MaxItems",
            token_out: "NextMarker",
            max: 50,
            default: 50,
            invalid: "InvalidParameterValueException",
            items: |d| &d.lambdas,
            item: function,
        },
    )
}
