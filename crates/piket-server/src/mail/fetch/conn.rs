//! The connection a fetcher speaks over: TCP to the mailbox's host, then TLS (implicit, or after
//! STARTTLS/STLS), with a deadline on every step, and each failure named by the step it
//! happened in, so "Test connection" can say exactly what went wrong.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long one network step (connect, handshake, a command) may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a connection attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Dns,
    Tcp,
    Tls,
    Login,
    Folder,
    /// After the folder opened: a command or the connection failed mid-fetch.
    Fetch,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Tls => "tls",
            Step::Login => "login",
            Step::Folder => "folder",
            Step::Fetch => "fetch",
        }
    }
}

/// A failed step and what was said.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: Step,
    pub detail: String,
}

impl Failure {
    pub fn new(step: Step, detail: impl fmt::Display) -> Failure {
        Failure {
            step,
            detail: detail.to_string(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step.as_str(), self.detail)
    }
}

/// Run `fut` within the step deadline, naming the step if it fails or takes too long.
pub async fn within<T, E: fmt::Display>(
    step: Step,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Failure::new(step, e)),
        Err(_) => Err(Failure::new(step, "no answer in time")),
    }
}

trait ReadWrite: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> ReadWrite for T {}

/// A plain or TLS stream behind one type (IMAP's STARTTLS changes it mid-session).
pub struct MailStream(Pin<Box<dyn ReadWrite>>);

impl fmt::Debug for MailStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailStream")
    }
}

impl AsyncRead for MailStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }
}

/// Resolve and connect, each step timed.
pub async fn tcp(host: &str, port: u16) -> Result<MailStream, Failure> {
    let addrs: Vec<std::net::SocketAddr> = within(Step::Dns, tokio::net::lookup_host((host, port)))
        .await?
        .collect();
    if addrs.is_empty() {
        return Err(Failure::new(Step::Dns, format!("{host} has no address")));
    }
    let mut last = String::new();
    for addr in addrs {
        match within(Step::Tcp, TcpStream::connect(addr)).await {
            Ok(s) => {
                s.set_nodelay(true).ok();
                return Ok(MailStream(Box::pin(s)));
            }
            Err(e) => last = format!("{addr}: {}", e.detail),
        }
    }
    Err(Failure::new(Step::Tcp, last))
}

/// Wrap `stream` in TLS for `host`, checking the certificate unless `verify` is off.
pub async fn tls(stream: MailStream, host: &str, verify: bool) -> Result<MailStream, Failure> {
    let config = client_config(verify).map_err(|e| Failure::new(Step::Tls, e))?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| Failure::new(Step::Tls, format!("{host}: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let s = within(Step::Tls, connector.connect(name, stream)).await?;
    Ok(MailStream(Box::pin(s)))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(verify: bool) -> Result<rustls::ClientConfig, rustls::Error> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?;
    Ok(if verify {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth()
    })
}

/// For a mailbox whose administrator turned certificate checks off (a self-signed server):
/// the handshake's signatures are still checked, the certificate's issuer and name are not.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
