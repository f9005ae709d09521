//! The engine on its own: exact time, the seam, crashes, link faults and same-instant order, with
//! bare TCP between hosts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::Instant;

use super::{Engine, HostHandle, LinkState, NetworkConfig, Step};
use crate::net::{Listener as _, Net as _};
use crate::sim::net::SimNet;

const PORT: u16 = 9000;

fn engine(hosts: &[&str], latency_ms: (u64, u64), seed: u64) -> Engine {
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    Engine::new(&hosts, &NetworkConfig { latency_ms, links: Vec::new(), seed }, seed)
}

fn net(host: HostHandle) -> SimNet {
    SimNet::new(host, None, 0)
}

/// Installs `software` on `host`, started once per lifetime.
fn install<F, R>(engine: &mut Engine, host: &str, software: F)
where
    F: Fn(SimNet, u32) -> R + 'static,
    R: Future<Output = ()> + Send + 'static,
{
    engine.install(
        host,
        Box::new(move |handle, lifetime| {
            let run = software(net(handle), lifetime);
            Box::pin(async move {
                run.await;
                Ok(())
            })
        }),
    );
}

/// A server that answers every line-less message with its lifetime number, on every connection.
async fn echo_lifetime(net: SimNet, lifetime: u32) {
    let mut listener = net.bind(([0, 0, 0, 0], PORT).into()).await.expect("binds");
    loop {
        let (mut stream, _) = listener.accept().await;
        net.spawn(async move {
            let mut byte = [0u8; 1];
            while matches!(stream.read(&mut byte).await, Ok(1)) {
                if stream.write_all(&[lifetime as u8]).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Runs until `host` finishes, then returns the simulated time it took.
fn run_until_finished(engine: &mut Engine, host: &str) -> Result<Duration, String> {
    run_counting_passes(engine, host).map(|(took, _)| took)
}

fn run_counting_passes(engine: &mut Engine, host: &str) -> Result<(Duration, u64), String> {
    let mut started = None;
    let mut took = Duration::ZERO;
    engine.run(Duration::from_secs(2 * 3600), |world| {
        let start = *started.get_or_insert(Instant::now());
        if world.is_finished(host) {
            took = start.elapsed();
            return Step::Done;
        }
        Step::Until(None)
    })?;
    Ok((took, engine.passes()))
}

#[test]
fn time_jumps_straight_to_the_next_timer_without_idle_steps() {
    let mut engine = engine(&["sleeper"], (0, 0), 1);
    install(&mut engine, "sleeper", |_, _| tokio::time::sleep(Duration::from_secs(3600)));
    let (took, passes) = run_counting_passes(&mut engine, "sleeper").expect("the run finishes");
    assert_eq!(took, Duration::from_secs(3600));
    // Start, the sleep's first poll, its wake an hour later: a few passes, not 3.6 million.
    assert!(passes <= 4, "{passes} passes");
}

#[test]
fn a_round_trip_takes_exactly_the_link_latency_each_way() {
    let mut engine = engine(&["server", "client"], (37, 37), 1);
    install(&mut engine, "server", echo_lifetime);
    let answered = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&answered);
    install(&mut engine, "client", move |net, _| {
        let seen = Arc::clone(&seen);
        async move {
            let mut stream = net.connect("server:9000").await.expect("connects");
            let sent = Instant::now();
            stream.write_all(b"?").await.unwrap();
            let mut answer = [0u8; 1];
            stream.read_exact(&mut answer).await.unwrap();
            *seen.lock().unwrap() = Some(sent.elapsed());
        }
    });
    // The connect is a SYN and a SYN-ACK; the question and its answer one trip each.
    assert_eq!(run_until_finished(&mut engine, "client"), Ok(Duration::from_millis(4 * 37)));
    assert_eq!(*answered.lock().unwrap(), Some(Duration::from_millis(2 * 37)));
}

#[test]
fn a_task_spawned_around_the_seam_ends_the_run_with_a_harness_error() {
    let mut engine = engine(&["rogue"], (0, 0), 1);
    install(&mut engine, "rogue", |_, _| async {
        tokio::spawn(std::future::pending::<()>());
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let error = run_until_finished(&mut engine, "rogue").unwrap_err();
    assert!(error.contains("bypassed the `Net::spawn` seam") && error.contains("rogue"), "{error}");
}

#[test]
fn a_panicking_task_ends_the_run_with_its_message() {
    let mut engine = engine(&["faulty"], (0, 0), 1);
    install(&mut engine, "faulty", |net, _| async move {
        net.spawn(async { panic!("the agent fell over") });
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let error = run_until_finished(&mut engine, "faulty").unwrap_err();
    assert!(error.contains("host faulty: a task panicked: the agent fell over"), "{error}");
}

/// Runs until `host` finishes, applying `faults` (simulated ms, what to do) when they are due.
fn run_with_faults(engine: &mut Engine, host: &str, mut faults: Vec<(u64, Fault)>) {
    engine
        .run(Duration::from_secs(60), |world| {
            while let Some(&(at, fault)) = faults.first()
                && world.now_ms() >= at
            {
                faults.remove(0);
                match fault {
                    Fault::Crash => world.crash("server"),
                    Fault::Bounce => world.bounce("server"),
                    Fault::Link(state) => world.set_link("server", "client", state),
                }
            }
            if world.is_finished(host) {
                return Step::Done;
            }
            Step::Until(faults.first().map(|&(at, _)| world.instant(at)))
        })
        .expect("the run finishes");
}

#[derive(Clone, Copy)]
enum Fault {
    Crash,
    Bounce,
    Link(Option<LinkState>),
}

/// What the client saw, in order.
type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

/// Runs a server answering with its lifetime and a client doing `script` on links of 5 ms,
/// applying `faults` to the server or the link; returns what the client noted.
fn client_notes<F, R>(faults: Vec<(u64, Fault)>, script: F) -> Vec<String>
where
    F: Fn(SimNet, Log) -> R + 'static,
    R: Future<Output = ()> + Send + 'static,
{
    let mut engine = engine(&["server", "client"], (5, 5), 1);
    install(&mut engine, "server", echo_lifetime);
    let log = Log::default();
    let seen = Arc::clone(&log);
    install(&mut engine, "client", move |net, _| script(net, Arc::clone(&seen)));
    run_with_faults(&mut engine, "client", faults);
    log.lock().unwrap().clone()
}

async fn ask(stream: &mut crate::sim::chunking::SimStream, wait: Duration) -> String {
    if let Err(error) = stream.write_all(b"?").await {
        return format!("write failed: {:?}", error.kind());
    }
    let mut answer = [0u8; 1];
    match tokio::time::timeout(wait, stream.read(&mut answer)).await {
        Ok(Ok(1)) => format!("lifetime {}", answer[0]),
        Ok(Ok(_)) => "end of stream".to_owned(),
        Ok(Err(error)) => format!("read failed: {:?}", error.kind()),
        Err(_) => "no answer".to_owned(),
    }
}

#[test]
fn a_crashed_host_goes_silent_and_its_next_lifetime_resets_the_old_connections() {
    let notes = client_notes(vec![(200, Fault::Crash), (400, Fault::Bounce)], |net, log| async move {
        let mut stream = net.connect("server:9000").await.expect("connects");
        note(&log, ask(&mut stream, Duration::from_millis(50)).await);
        tokio::time::sleep_until(Instant::now() + Duration::from_millis(280)).await;
        note(&log, ask(&mut stream, Duration::from_millis(50)).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
        note(&log, ask(&mut stream, Duration::from_millis(50)).await);
        let mut fresh = net.connect("server:9000").await.expect("connects to the new lifetime");
        note(&log, ask(&mut fresh, Duration::from_millis(50)).await);
    });
    assert_eq!(notes, ["lifetime 1", "no answer", "read failed: ConnectionReset", "lifetime 2"]);
}

#[test]
fn a_hold_delivers_what_it_kept_at_its_release_and_a_partition_drops_it() {
    for (state, expected) in
        [(LinkState::Held, "connected at 305 ms"), (LinkState::Partitioned, "no connection")]
    {
        let faults = vec![(0, Fault::Link(Some(state))), (300, Fault::Link(None))];
        let notes = client_notes(faults, |net, log| async move {
            let started = Instant::now();
            let line = match tokio::time::timeout(Duration::from_secs(1), net.connect("server:9000")).await {
                Ok(Ok(_)) => format!("connected at {} ms", started.elapsed().as_millis()),
                _ => "no connection".to_owned(),
            };
            note(&log, line);
        });
        assert_eq!(notes, [expected]);
    }
}

#[test]
fn packets_due_at_one_instant_arrive_in_an_order_drawn_from_the_seed() {
    let arrivals = |seed: u64| {
        let mut engine = engine(&["server", "a", "b"], (10, 10), seed);
        let order: Log = Log::default();
        let seen = Arc::clone(&order);
        install(&mut engine, "server", move |net, _| {
            let seen = Arc::clone(&seen);
            async move {
                let mut listener = net.bind(([0, 0, 0, 0], PORT).into()).await.expect("binds");
                loop {
                    let (mut stream, _) = listener.accept().await;
                    let seen = Arc::clone(&seen);
                    net.spawn(async move {
                        let mut name = [0u8; 1];
                        if stream.read_exact(&mut name).await.is_ok() {
                            seen.lock().unwrap().push(String::from(name[0] as char));
                        }
                    });
                }
            }
        });
        for name in ["a", "b"] {
            install(&mut engine, name, move |net, _| async move {
                let mut stream = net.connect("server:9000").await.expect("connects");
                stream.write_all(name.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            });
        }
        run_until_finished(&mut engine, "b").expect("the run finishes");
        order.lock().unwrap().concat()
    };
    let orders: Vec<String> = (0..16).map(arrivals).collect();
    assert!(orders.iter().all(|order| order.len() == 2), "{orders:?}");
    assert!(orders.contains(&"ab".to_owned()) && orders.contains(&"ba".to_owned()), "{orders:?}");
    assert_eq!(arrivals(5), orders[5]);
}

#[test]
fn a_host_bounced_with_a_connection_open_listens_again_at_once() {
    let notes = client_notes(vec![(50, Fault::Bounce)], |net, log| async move {
        let mut stream = net.connect("server:9000").await.expect("connects");
        note(&log, ask(&mut stream, Duration::from_millis(50)).await);
        tokio::time::sleep_until(Instant::now() + Duration::from_millis(100)).await;
        let mut fresh = net.connect("server:9000").await.expect("connects to the new lifetime");
        note(&log, ask(&mut fresh, Duration::from_millis(50)).await);
    });
    assert_eq!(notes, ["lifetime 1", "lifetime 2"]);
}

#[test]
fn a_listener_on_every_address_listens_on_its_hosts_own() {
    let mut engine = engine(&["server"], (0, 0), 1);
    let bound = Arc::new(Mutex::new(None));
    let record = Arc::clone(&bound);
    install(&mut engine, "server", move |net, _| {
        let record = Arc::clone(&record);
        async move {
            let listener = net.bind(([0, 0, 0, 0], PORT).into()).await.expect("binds");
            let own = turmoil_net::lookup_host("server").expect("the host has an address");
            *record.lock().unwrap() = Some((listener.local_addr().expect("bound"), own));
        }
    });
    run_until_finished(&mut engine, "server").expect("the server binds and ends");
    let (local, own) = bound.lock().unwrap().expect("the server recorded its listener");
    assert_eq!(local, (own, PORT).into());
}
