//! One HTTP/1.1 keep-alive connection, reopened only when the server drops it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::CONNECTION;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::stats::ErrorKind;
use crate::target::Target;

pub struct Conn {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
    connect_timeout: Duration,
    /// Connections opened over this worker's life; more than one means the
    /// server closed keep-alive connections, which the report should show.
    pub opened: u64,
}

impl Conn {
    /// Opens the connection now so a dead server fails the run up front.
    pub async fn open(target: Arc<Target>, connect_timeout: Duration) -> Result<Self> {
        let sender = tokio::time::timeout(connect_timeout, handshake(&target))
            .await
            .with_context(|| format!("connecting to {} timed out", target.addr))??;
        Ok(Self { target, sender: Some(sender), connect_timeout, opened: 1 })
    }

    /// Waits until the connection can take a request, reconnecting if the
    /// server closed it. Kept apart from `exchange` so reconnects stay out of
    /// the latency measurement.
    pub async fn ready(&mut self) -> Result<(), ErrorKind> {
        if let Some(sender) = self.sender.as_mut() {
            if sender.ready().await.is_ok() {
                return Ok(());
            }
            self.sender = None;
        }
        let mut sender = tokio::time::timeout(self.connect_timeout, handshake(&self.target))
            .await
            .map_err(|_| ErrorKind::Connect)?
            .map_err(|_| ErrorKind::Connect)?;
        self.opened += 1;
        sender.ready().await.map_err(|_| ErrorKind::Connect)?;
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends one request and reads the whole response body.
    pub async fn exchange(
        &mut self,
        req: Request<Full<Bytes>>,
        deadline: Duration,
    ) -> Result<(StatusCode, Bytes), ErrorKind> {
        let Some(sender) = self.sender.as_mut() else {
            return Err(ErrorKind::Closed);
        };
        let round_trip = async {
            let resp = sender.send_request(req).await?;
            let status = resp.status();
            let closing = resp.headers().get(CONNECTION).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body, closing))
        };
        match tokio::time::timeout(deadline, round_trip).await {
            Ok(Ok((status, body, closing))) => {
                if closing {
                    self.sender = None;
                }
                Ok((status, body))
            }
            Ok(Err(e)) => {
                self.sender = None;
                Err(classify(&e))
            }
            // The abandoned request may still be in flight on this connection,
            // so it cannot carry another one.
            Err(_) => {
                self.sender = None;
                Err(ErrorKind::Timeout)
            }
        }
    }
}

async fn handshake(target: &Target) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(target.addr).await.with_context(|| format!("cannot connect to {}", target.addr))?;
    // Requests are small single writes; Nagle would only add delay.
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.context("HTTP/1.1 handshake failed")?;
    // The connection future performs the socket I/O; its failures reach the
    // worker through `SendRequest`, so the result here carries nothing new.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn classify(e: &hyper::Error) -> ErrorKind {
    if e.is_parse() || e.is_parse_status() {
        ErrorKind::BadResponse
    } else if e.is_closed() || e.is_incomplete_message() || e.is_canceled() {
        ErrorKind::Closed
    } else {
        ErrorKind::Io
    }
}
