//! Hostile frames against the real gateway on loopback: every one that is not a valid message gets
//! exactly one `error` frame with a code, the session stays open, and nothing is ever a 1011.
//!
//! The one exception is a text frame whose bytes are not UTF-8: RFC 6455 §8.1 requires failing
//! the connection, so it gets `BAD_ENCODING` and close 1007. (Lone surrogates written as JSON
//! escapes are valid UTF-8 and keep the session open like any other bad message.)

use std::sync::OnceLock;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gatesim::clock::{Clock, SystemClock};
use gatesim::loopback::{Addrs, LoopbackConfig, Running};
use gatesim::net::{Net, TokioNet};
use gatesim::protocol::{ClientFrame, ErrorCode, ServerFrame};
use gatesim::services::Secret;
use gatesim::services::gateway::GatewayConfig;
use gatesim::token::{Claims, mint};
use proptest::prelude::*;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

const JWT_SECRET: &str = include_str!("../fixtures/TEST_ONLY_jwt_secret.txt");

/// One stack for every case: starting services per case would dwarf the cases themselves.
fn stack() -> &'static (Runtime, String) {
    static STACK: OnceLock<(Runtime, String)> = OnceLock::new();
    STACK.get_or_init(|| {
        let runtime = Runtime::new().unwrap();
        let url = runtime.block_on(async {
            let mut gateway = GatewayConfig::new("", "", Secret::new("overwritten"));
            gateway.limits.message_burst = 10_000;
            let config = LoopbackConfig {
                addrs: Addrs::ephemeral(),
                jwt_secret: Secret::new(JWT_SECRET.trim()),
                service_secret: Secret::new("test-only-service-secret"),
                users: ["alice".to_owned()].into(),
                gateway,
            };
            // Leaked on purpose: the services serve every case until the test process exits.
            let running = Box::leak(Box::new(Running::start(config).await.unwrap()));
            running.ws_url()
        });
        (runtime, url)
    })
}

#[derive(Clone, Debug)]
enum Hostile {
    Text(String),
    Binary(Vec<u8>),
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let wrong_types = prop::sample::select(vec![
        r#"{"type":5}"#,
        r#"{"type":null,"id":"x"}"#,
        r#"{"type":"user_message","id":7,"payload":{"content":"x"}}"#,
        r#"{"type":"user_message","id":"x","payload":"content"}"#,
        r#"{"type":"user_message","id":"x","payload":{"content":1e999}}"#,
        r#"{"type":"user_message","id":"","payload":{"content":"x"}}"#,
        r#"{"type":["chat"],"id":"x"}"#,
        r#"1e999"#,
        r#""just a string""#,
        "",
    ]);
    prop_oneof![
        any::<String>().prop_map(Hostile::Text),
        wrong_types.prop_map(|text| Hostile::Text(text.to_owned())),
        "[a-z\":{}\\[\\], 0-9.e]{0,64}".prop_map(Hostile::Text),
        (1usize..5000).prop_map(|depth| Hostile::Text(format!(
            "{}{}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        ))),
        (1usize..60_000).prop_map(|len| Hostile::Text("é".repeat(len / 2))),
        "[a-z ]{0,16}".prop_map(|tail| Hostile::Text(format!(
            r#"{{"type":"user_message","id":"s","payload":{{"content":"\ud800{tail}"}}}}"#
        ))),
        prop::collection::vec(any::<u8>(), 0..512).prop_map(Hostile::Binary),
    ]
}

/// Text frame payloads that are not UTF-8: valid text around an encoded surrogate or a stray byte.
fn not_utf8() -> impl Strategy<Value = Vec<u8>> {
    let poison =
        prop::sample::select(vec![vec![0xed, 0xa0, 0x80], vec![0xff], vec![0xc3], vec![0xf8, 0x88, 0x80]]);
    ("[a-z{}\":]{0,32}", poison, "[a-z{}\":]{0,32}").prop_map(|(head, poison, tail)| {
        let mut bytes = head.into_bytes();
        bytes.extend(poison);
        bytes.extend(tail.into_bytes());
        bytes
    })
}

type Ws = tokio_tungstenite::WebSocketStream<<TokioNet as Net>::Stream>;

async fn session(url: &str) -> Ws {
    let token = mint(&Claims::new("alice", SystemClock.unix_secs(), 600), JWT_SECRET.trim().as_bytes());
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    let stream = TokioNet.connect(request.uri().authority().unwrap().as_str()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    match next(&mut ws).await {
        Some(ServerFrame::ConnectionEstablished { .. }) => ws,
        other => panic!("no session: {other:?}"),
    }
}

async fn next(ws: &mut Ws) -> Option<ServerFrame> {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("no answer in 10 s");
        match message? {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(&text).expect("server frames parse"));
            }
            Ok(Message::Close(close)) => panic!("the session was closed: {close:?}"),
            Ok(_) => {}
            Err(error) => panic!("the connection failed: {error}"),
        }
    }
}

/// Sends `frame` then a ping, and returns the error codes seen before the pong.
async fn answer_to(frame: Hostile) -> (Vec<ErrorCode>, bool) {
    let mut ws = session(&stack().1).await;
    let valid = match &frame {
        Hostile::Text(text) => ClientFrame::parse(text).is_ok(),
        _ => false,
    };
    let message = match frame {
        Hostile::Text(text) => Message::text(text),
        Hostile::Binary(bytes) => Message::binary(bytes),
    };
    ws.send(message).await.unwrap();
    ws.send(Message::text(ClientFrame::Ping.to_text())).await.unwrap();
    let mut codes = Vec::new();
    loop {
        match next(&mut ws).await.expect("the session ended") {
            ServerFrame::Pong { .. } => break,
            ServerFrame::Error(error) => codes.push(error.code),
            _ => {}
        }
    }
    let _ = ws.close(None).await;
    (codes, valid)
}

/// Sends a text frame with `payload` as its raw bytes, and returns what came before the close and
/// the close code.
async fn refusal_of(payload: Vec<u8>) -> (Vec<ErrorCode>, Option<u16>) {
    let mut ws = session(&stack().1).await;
    ws.send(Message::Frame(Frame::message(payload, OpCode::Data(Data::Text), true))).await.unwrap();
    let mut codes = Vec::new();
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("no answer in 10 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerFrame::Error(error)) = serde_json::from_str(&text) {
                    codes.push(error.code);
                }
            }
            Some(Ok(Message::Close(close))) => return (codes, close.map(|c| c.code.into())),
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return (codes, None),
        }
    }
}

proptest! {
    #![proptest_config(crate::config("fixtures/proptest-regressions/hostile_input.txt", 96))]

    #[test]
    fn every_hostile_frame_gets_one_error_and_the_session_stays_open(frame in hostile()) {
        let (codes, valid) = stack().0.block_on(answer_to(frame));
        if valid {
            prop_assert!(codes.is_empty(), "a valid frame was refused: {codes:?}");
        } else {
            prop_assert_eq!(codes, vec![ErrorCode::BadMessage]);
        }
    }

    #[test]
    fn a_text_frame_that_is_not_utf8_gets_bad_encoding_then_1007(payload in not_utf8()) {
        prop_assume!(std::str::from_utf8(&payload).is_err());
        let (codes, close) = stack().0.block_on(refusal_of(payload));
        prop_assert_eq!(codes, vec![ErrorCode::BadEncoding]);
        prop_assert_eq!(close, Some(1007));
    }
}
