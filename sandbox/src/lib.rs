//! The AWS sandbox: an HTTP server speaking the AWS wire protocols of the
//! operations the console uses (STS over awsQuery, Organizations over
//! awsJson1_1, Cloud Control over awsJson1_0, Backup over restJson1, S3 over restXml), holding
//! the demo world, moving it on its own clock and failing on purpose when asked.

mod admin;
mod backup;
mod clock;
mod cloudcontrol;
mod dynamodb;
mod engine;
mod faults;
pub mod generate;
mod kms;
mod organizations;
mod protocol;
mod restore;
mod s3;
mod schedule;
mod sts;
mod tagging;
mod throttle;
mod world;

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use faults::Faults;
pub use generate::WorldOptions;
use protocol::{insert_request_id, parse_authorization, to_json, AwsError, Millis, Protocol};
pub use throttle::{Rate, Throttle};
use world::{World, HUB_ACCOUNT};

/// Who is calling, as told by the access key of the request's signature.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: usize,
    pub account_id: String,
    pub region: String,
    pub is_hub: bool,
    pub can_act: bool,
    /// May call PutRestoreValidationResult (the validator role; the operator role may too).
    pub can_validate: bool,
    pub principal_arn: String,
    pub user_id: String,
}

pub struct Sandbox {
    /// AWS calls answered (or failed on purpose) since start.
    requests: std::sync::atomic::AtomicU64,
    /// AWS calls since start by operation, for those whose operation was recognised
    /// (what a benchmark or a test reads to see which calls a client made).
    operations: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// AWS Backup calls being answered now, and the most at once since start: what a
    /// client's concurrency bound looks like from the service's side.
    backup_in_flight: std::sync::atomic::AtomicU64,
    backup_in_flight_peak: std::sync::atomic::AtomicU64,
    world: RwLock<World>,
    clock: clock::Clock,
    faults: Mutex<Faults>,
    fault_rng: Mutex<ChaCha8Rng>,
    /// AWS's request rates (Organizations always; Backup's when asked for).
    throttle: Mutex<throttle::Buckets>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sandbox {
    /// The world for reading; many requests read at once.
    fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The world for reading at `now`, after everything due by then has happened.
    fn read_at(&self, now: Millis) -> RwLockReadGuard<'_, World> {
        if self.read().next_event().is_some_and(|at| at <= now) {
            self.write().tick(now);
        }
        self.read()
    }

    /// The world for a change at `now`, after everything due by then has happened.
    fn write_at(&self, now: Millis) -> RwLockWriteGuard<'_, World> {
        let mut world = self.write();
        world.tick(now);
        world
    }
}

fn wall_clock_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// A summary of one account, for the start-up banner, the admin API and configs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountSummary {
    pub id: String,
    pub name: String,
    pub in_organization: bool,
    pub regions: Vec<String>,
    pub roles: Vec<RoleSummary>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RoleSummary {
    pub arn: String,
    pub external_id: Option<String>,
    pub operator: bool,
    pub validator: bool,
}

impl Sandbox {
    /// Builds the world (living through its 90 days of history) and the server state.
    pub fn new(options: &WorldOptions, time_scale: f64, faults: Faults) -> Arc<Self> {
        let world = generate::build(options);
        Arc::new(Self {
            requests: std::sync::atomic::AtomicU64::new(0),
            operations: Mutex::default(),
            backup_in_flight: std::sync::atomic::AtomicU64::new(0),
            backup_in_flight_peak: std::sync::atomic::AtomicU64::new(0),
            world: RwLock::new(world),
            clock: clock::Clock::new(options.start, time_scale),
            faults: Mutex::new(faults),
            fault_rng: Mutex::new(ChaCha8Rng::seed_from_u64(options.seed ^ 0xfa17)),
            throttle: Mutex::new(throttle::Buckets::new(Throttle::default())),
        })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        admin::routes().fallback(aws_entry).with_state(Arc::clone(self))
    }

    pub fn accounts(&self) -> Vec<AccountSummary> {
        let world = self.read();
        world
            .accounts
            .iter()
            .map(|a| AccountSummary {
                id: a.id.clone(),
                name: a.name.clone(),
                in_organization: a.in_organization,
                regions: a.regions.keys().cloned().collect(),
                roles: a
                    .roles
                    .iter()
                    .map(|r| RoleSummary {
                        arn: format!("arn:aws:iam::{}:role/{}", a.id, r.name),
                        external_id: r.external_id.clone(),
                        operator: r.can_act,
                        validator: r.can_validate,
                    })
                    .collect(),
            })
            .collect()
    }

    pub fn recovery_point_count(&self) -> usize {
        self.read().recovery_point_count()
    }

    fn caller(&self, world: &World, access_key: &str, token: Option<&str>, region: &str) -> Result<Caller, AwsError> {
        match world.sessions.get(access_key) {
            None => Ok(Caller {
                account: world.account(HUB_ACCOUNT).unwrap_or(0),
                account_id: HUB_ACCOUNT.to_string(),
                region: region.to_string(),
                is_hub: true,
                can_act: true,
                can_validate: true,
                principal_arn: format!("arn:aws:iam::{HUB_ACCOUNT}:user/recovery-console"),
                user_id: "AIDARCHUBUSER0000001".to_string(),
            }),
            Some(session) => {
                if token != Some(session.token.as_str()) {
                    return Err(AwsError::access_denied(
                        "UnrecognizedClientException",
                        "The security token included in the request is invalid.",
                    ));
                }
                if wall_clock_ms() >= session.expires_wall {
                    return Err(AwsError::new(
                        StatusCode::BAD_REQUEST,
                        "ExpiredTokenException",
                        "The security token included in the request is expired",
                    ));
                }
                let account = &world.accounts[session.account];
                Ok(Caller {
                    account: session.account,
                    account_id: account.id.clone(),
                    region: region.to_string(),
                    is_hub: account.id == HUB_ACCOUNT,
                    can_act: session.can_act,
                    can_validate: session.can_act || session.can_validate,
                    principal_arn: format!(
                        "arn:aws:sts::{}:assumed-role/{}/{}",
                        account.id, session.role, session.session_name
                    ),
                    user_id: format!(
                        "AROA{}:{}",
                        &access_key[4..].chars().take(12).collect::<String>(),
                        session.session_name
                    ),
                })
            }
        }
    }

    async fn handle(&self, protocol: Protocol, req: Request, request_id: &str) -> Result<Response, AwsError> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, 16 << 20)
            .await
            .map_err(|e| AwsError::invalid_parameter(format!("could not read the request body: {e}")))?;
        let signature = parse_authorization(&parts.headers)?;
        let raw_query = parts.uri.query();
        enum Parsed {
            Sts(std::collections::HashMap<String, String>),
            Orgs,
            Tagging,
            Kms,
            CloudControl,
            DynamoDb,
            Backup(backup::Request),
            S3(s3::Request),
        }
        let (op, parsed) = match protocol {
            Protocol::Query => {
                let params = sts::params(&body, raw_query);
                (sts::identify(&params)?, Parsed::Sts(params))
            }
            Protocol::Json11 if has_target(&parts.headers, tagging::TARGET_PREFIX) => {
                (tagging::identify(&parts.headers)?, Parsed::Tagging)
            }
            Protocol::Json11 if has_target(&parts.headers, kms::TARGET_PREFIX) => {
                (kms::identify(&parts.headers)?, Parsed::Kms)
            }
            Protocol::Json11 => (organizations::identify(&parts.headers)?, Parsed::Orgs),
            Protocol::Json10 if dynamodb::is_target(&parts.headers) => {
                (dynamodb::identify(&parts.headers)?, Parsed::DynamoDb)
            }
            Protocol::Json10 => (cloudcontrol::identify(&parts.headers)?, Parsed::CloudControl),
            Protocol::S3 => {
                let req = s3::identify(&parts.method, parts.uri.path(), raw_query, &parts.headers, body.to_vec())?;
                (req.op, Parsed::S3(req))
            }
            Protocol::RestJson => {
                let req = backup::identify(&parts.method, parts.uri.path(), raw_query, body.to_vec())?;
                (req.op, Parsed::Backup(req))
            }
        };
        *lock(&self.operations).entry(op).or_default() += 1;
        let token = parts.headers.get("x-amz-security-token").and_then(|v| v.to_str().ok());
        let caller = {
            let world = self.read();
            self.caller(&world, &signature.access_key, token, &signature.region)?
        };

        let (latency, fault, denied) = {
            let mut faults = lock(&self.faults);
            let mut rng = lock(&self.fault_rng);
            let (latency, fault) = faults.decide(op, &caller.account_id, &mut *rng);
            (latency, fault, faults.deny_accounts.clone())
        };
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        match fault {
            Some(faults::Fault::Throttle) => {
                let code = match protocol {
                    Protocol::RestJson | Protocol::Json10 => "ThrottlingException",
                    Protocol::Json11 => "TooManyRequestsException",
                    Protocol::Query => "Throttling",
                    Protocol::S3 => "SlowDown",
                };
                // S3 answers 503 SlowDown (S3 API Reference, "Error responses").
                let status =
                    if protocol == Protocol::S3 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::BAD_REQUEST };
                return Err(AwsError::new(status, code, "Rate exceeded"));
            }
            Some(faults::Fault::ServerError) => {
                let (status, code) = match protocol {
                    Protocol::RestJson => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException"),
                    Protocol::Json11 => (StatusCode::INTERNAL_SERVER_ERROR, "ServiceException"),
                    Protocol::Json10 => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
                    Protocol::Query => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
                    Protocol::S3 => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
                };
                return Err(AwsError::new(status, code, "The service is unavailable. Try again later."));
            }
            Some(faults::Fault::NotFound) => {
                return Err(AwsError::not_found(format!("{op}: the resource named in the request does not exist")));
            }
            _ => {}
        }
        // Cloud Control's actions are in IAM's cloudformation namespace.
        let iam_prefix = match protocol {
            Protocol::RestJson if backup::is_mutation(op) => Some("backup"),
            Protocol::Json10 if cloudcontrol::is_mutation(op) => Some("cloudformation"),
            Protocol::Json11 if organizations::is_mutation(op) => Some("organizations"),
            _ => None,
        };
        let allowed = caller.can_act || (op == "PutRestoreValidationResult" && caller.can_validate);
        if let Some(prefix) = iam_prefix.filter(|_| !allowed) {
            return Err(AwsError::access_denied(
                "AccessDeniedException",
                format!("User: {} is not authorized to perform: {prefix}:{op}", caller.principal_arn),
            ));
        }

        let now = self.clock.now();
        let mut s3_answer = None;
        let (content_type, payload): (&'static str, Vec<u8>) = match parsed {
            Parsed::Sts(params) => {
                let xml = match op {
                    "AssumeRole" => sts::assume_role(
                        &mut self.write_at(now),
                        &caller,
                        &params,
                        &denied,
                        wall_clock_ms(),
                        request_id,
                    )?,
                    _ => sts::get_caller_identity(&caller, request_id),
                };
                ("text/xml", xml.into_bytes())
            }
            Parsed::Orgs => {
                lock(&self.throttle).organizations(std::time::Instant::now())?;
                let value = if organizations::is_mutation(op) {
                    organizations::call_mut(&mut self.write_at(now), now, &caller, op, &body)?
                } else {
                    organizations::call(&self.read_at(now), &caller, op, &body)?
                };
                ("application/x-amz-json-1.1", to_json(&value).into_bytes())
            }
            Parsed::Kms => {
                let value = kms::call(&self.read_at(now), &caller, &body)?;
                ("application/x-amz-json-1.1", to_json(&value).into_bytes())
            }
            Parsed::Tagging => {
                let value = tagging::call(&self.read_at(now), &caller, &body)?;
                ("application/x-amz-json-1.1", to_json(&value).into_bytes())
            }
            Parsed::CloudControl => {
                let value = if cloudcontrol::is_mutation(op) {
                    cloudcontrol::call_mut(&mut self.write_at(now), now, &caller, op, &body)?
                } else {
                    cloudcontrol::call(&self.read_at(now), now, &caller, op, &body)?
                };
                ("application/x-amz-json-1.0", to_json(&value).into_bytes())
            }
            Parsed::DynamoDb => {
                let value = dynamodb::call(&self.read_at(now), now, &caller, op, &body)?;
                ("application/x-amz-json-1.0", to_json(&value).into_bytes())
            }
            Parsed::Backup(req) => {
                lock(&self.throttle).backup(&caller.account_id, &caller.region, op, std::time::Instant::now())?;
                let value = if backup::is_mutation(op) {
                    backup::call_mut(&mut self.write_at(now), now, &caller, &req)?
                } else {
                    backup::call(&self.read_at(now), now, &caller, &req)?
                };
                ("application/json", to_json(&value).into_bytes())
            }
            // S3 checks its permissions itself (DeleteObjects per key, s3::delete_objects).
            Parsed::S3(req) => {
                let answer = if s3::is_mutation(op) {
                    s3::call_mut(&mut self.write_at(now), now, &caller, &req)?
                } else {
                    s3::call(&self.read_at(now), &caller, &req)?
                };
                s3_answer = Some((answer.status, answer.headers));
                (answer.content_type, answer.body)
            }
        };
        tracing::debug!(op, account = %caller.account_id, region = %caller.region, "sandbox call");

        if fault == Some(faults::Fault::LoseResponse) {
            tracing::info!(op, account = %caller.account_id, "losing the response on purpose");
            return Ok(lost_response(payload.len()));
        }
        let status = match &s3_answer {
            Some((status, _)) => *status,
            None if protocol == Protocol::RestJson => backup::success_status(op),
            None => StatusCode::OK,
        };
        let payload = if status == StatusCode::NO_CONTENT { Vec::new() } else { payload };
        let mut response = Response::new(Body::from(payload));
        *response.status_mut() = status;
        response.headers_mut().insert("content-type", HeaderValue::from_static(content_type));
        for (name, value) in s3_answer.map(|a| a.1).unwrap_or_default() {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        insert_request_id(response.headers_mut(), request_id);
        Ok(response)
    }

    /// Applies AWS's request rates as `settings` says (the buckets start full).
    pub fn set_throttle(&self, settings: Throttle) {
        lock(&self.throttle).set(settings);
    }

    /// The most AWS Backup calls answered at once since start (or since the last take).
    pub fn take_backup_in_flight_peak(&self) -> u64 {
        self.backup_in_flight_peak.swap(0, std::sync::atomic::Ordering::Relaxed)
    }

    /// AWS calls received since start.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// AWS calls since start, by operation.
    pub fn operations(&self) -> std::collections::BTreeMap<&'static str, u64> {
        lock(&self.operations).clone()
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Moves the sandbox clock forward by `ms` and applies what falls due on the way.
    pub fn advance(&self, ms: Millis) {
        self.clock.advance(ms);
        drop(self.write_at(self.clock.now()));
    }
}

/// A response whose head promises a body that never comes: the connection
/// breaks mid-response, as when an answer is lost on the network.
fn lost_response(len: usize) -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "response lost on purpose",
        ))
    });
    let mut response = Response::new(Body::from_stream(stream));
    if let Ok(v) = HeaderValue::from_str(&(len + 1).to_string()) {
        response.headers_mut().insert("content-length", v);
    }
    response
}

/// Whether the request's `X-Amz-Target` starts with `prefix`.
fn has_target(headers: &axum::http::HeaderMap, prefix: &str) -> bool {
    headers.get("x-amz-target").and_then(|t| t.to_str().ok()).is_some_and(|t| t.starts_with(prefix))
}

fn detect_protocol(req: &Request) -> Protocol {
    let headers = req.headers();
    if parse_authorization(headers).is_ok_and(|s| s.service == "s3") {
        return Protocol::S3;
    }
    if headers.contains_key("x-amz-target") {
        let json10 = has_target(headers, cloudcontrol::TARGET_PREFIX) || has_target(headers, dynamodb::TARGET_PREFIX);
        return if json10 { Protocol::Json10 } else { Protocol::Json11 };
    }
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let root = req.uri().path() == "/";
    let action_in_query = req.uri().query().is_some_and(|q| q.contains("Action="));
    if root && ((req.method() == Method::POST && form) || action_in_query) {
        Protocol::Query
    } else {
        Protocol::RestJson
    }
}

/// One AWS Backup call being answered (counted in `backup_in_flight` while it lives).
struct InFlight<'a>(&'a Sandbox);

impl<'a> InFlight<'a> {
    fn new(sandbox: &'a Sandbox) -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        let now = sandbox.backup_in_flight.fetch_add(1, Relaxed) + 1;
        sandbox.backup_in_flight_peak.fetch_max(now, Relaxed);
        Self(sandbox)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.backup_in_flight.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

async fn aws_entry(State(sandbox): State<Arc<Sandbox>>, req: Request) -> Response {
    sandbox.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let request_id = uuid::Uuid::new_v4().to_string();
    let protocol = detect_protocol(&req);
    let _backup_call = (protocol == Protocol::RestJson).then(|| InFlight::new(&sandbox));
    match sandbox.handle(protocol, req, &request_id).await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(code = error.code, message = %error.message, "sandbox error");
            error.into_response(protocol, &request_id)
        }
    }
}

/// A console configuration file that points at this sandbox: every member
/// account with its read role (and external id), the demo region, the endpoint.
pub fn console_config(endpoint: &str, accounts: &[AccountSummary]) -> String {
    let mut out = format!(
        "# Written by `recovery-console sandbox --write-config`: a console pointed at the sandbox.\n\
         # The sandbox accepts any access key as the hub account; set AWS_ACCESS_KEY_ID and\n\
         # AWS_SECRET_ACCESS_KEY to any value (the demo command does this for you).\n\n\
         [aws]\nendpoint_url = \"{endpoint}\"\nregion = \"{}\"\n\n",
        generate::DEMO_REGION
    );
    for a in accounts.iter().filter(|a| a.in_organization && a.id != HUB_ACCOUNT) {
        let read = a.roles.iter().find(|r| !r.operator && !r.validator);
        let operator = a.roles.iter().find(|r| r.operator);
        let validator = a.roles.iter().find(|r| r.validator);
        // An account without roles still gets an entry, so its failure shows up in the console.
        let role_arn = read
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| format!("arn:aws:iam::{}:role/{}", a.id, generate::READ_ROLE));
        out.push_str(&format!("[[accounts]]\nid = \"{}\"\nname = \"{}\"\nrole_arn = \"{role_arn}\"\n", a.id, a.name));
        if let Some(op) = operator {
            out.push_str(&format!("operator_role_arn = \"{}\"\n", op.arn));
        }
        if let Some(v) = validator {
            out.push_str(&format!("validator_role_arn = \"{}\"\n", v.arn));
        }
        if let Some(ext) = read.and_then(|r| r.external_id.as_ref()) {
            out.push_str(&format!("external_id = \"{ext}\"\n"));
        }
        let regions: Vec<String> = a.regions.iter().map(|r| format!("\"{r}\"")).collect();
        let regions = if regions.is_empty() { format!("\"{}\"", generate::DEMO_REGION) } else { regions.join(", ") };
        out.push_str(&format!("regions = [{regions}]\n\n"));
    }
    // The console validates the demo's tests of `tracking`: its restored tables hold
    // the items `tracking#0`... of the recovery point (`dynamodb.rs`).
    out.push_str(&format!(
        "[validation]\n[[validation.checks]]\nplan_arn = \"{}\"\nmin_items = 1000\nkeys = [{{ pk = \"tracking#0\", sk = \"current\" }}]\n",
        generate::tracking_plan_arn()
    ));
    out
}
