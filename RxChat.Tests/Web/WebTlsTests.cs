using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Web;

/// <summary>
/// The web door over TLS (PROTOCOL.md, Doors, TLS): with <c>--tls-cert</c> and <c>--tls-key</c> it speaks HTTPS and WSS,
/// with the certificate the files hold at each handshake; a failed handshake costs nobody else anything.
/// </summary>
[CancelAfter(60_000)]
public class WebTlsTests
{
    private TestCertificates _certificates = null!;

    [SetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [TearDown]
    public void RemoveCertificates() => _certificates.Dispose();

    private ChatServer StartTls() =>
        TestServer.StartWeb(new ChatServerOptions { TlsCertificate = _certificates.CertFile, TlsKey = _certificates.KeyFile });

    // An HTTP client that trusts exactly the authority, and says which certificate the server presented.
    private static (HttpClient Client, Func<string?> Presented) Trusting(X509Certificate2 authority)
    {
        string? presented = null;
        var options = WebSocketClient.Trusting(authority);
        var trust = options.CertificateChainPolicy!;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain { ChainPolicy = trust };
                    var valid = certificate is X509Certificate2 server && chain.Build(server);
                    presented = (certificate as X509Certificate2)?.Thumbprint;
                    return valid;
                },
            },
        };
        return (new HttpClient(handler), () => presented);
    }

    [Test]
    public async Task Https_PageAndWss_ChatWithAPlainLineClient()
    {
        await using var server = StartTls();
        await using var bob = await server.EnterAsync("bob");
        var (http, presented) = Trusting(_certificates.Authority);
        using var client = http;

        using var page = await client.GetAsync(server.WebUri());
        using var health = await client.GetAsync(server.WebUri("/healthz"));
        await using var carol = await WebSocketClient.ConnectAsync(server.WebSocketUri(), authority: _certificates.Authority);
        await carol.ExpectAsync("What is your name?");
        await carol.SendAsync("carol");
        await carol.ReadLinesAsync(2);
        await carol.SendAsync("hello over wss");

        Assert.Multiple(async () =>
        {
            Assert.That(server.HttpScheme, Is.EqualTo("https"));
            Assert.That(server.WebSocketUri().Scheme, Is.EqualTo("wss"));
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(presented(), Is.EqualTo(_certificates.ServerThumbprint));
            Assert.That(await bob.ReadLinesAsync(2), Is.EqualTo(new[] { "carol has arrived", "carol: hello over wss" }));
        });
    }

    [Test]
    public async Task Https_CertificateFilesReplaced_NewHandshakesGetTheNewCertificate()
    {
        using var renewed = TestCertificates.Create("renewing authority");
        await using var server = StartTls();
        var (oldClient, oldPresented) = Trusting(_certificates.Authority);
        using var before = oldClient;
        using var first = await before.GetAsync(server.WebUri("/healthz"));

        File.WriteAllText(_certificates.CertFile, File.ReadAllText(renewed.CertFile));
        File.WriteAllText(_certificates.KeyFile, File.ReadAllText(renewed.KeyFile));
        var (newClient, newPresented) = Trusting(renewed.Authority);
        using var after = newClient;
        using var second = await after.GetAsync(server.WebUri("/healthz"));

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(newPresented(), Is.EqualTo(renewed.ServerThumbprint).And.Not.EqualTo(oldPresented()));
        });
    }

    [Test]
    public async Task Https_ClientThatDoesNotTrustTheCertificate_FailsAndNobodyNotices()
    {
        using var stranger = TestCertificates.Create("another authority");
        await using var server = StartTls();
        await using var bob = await server.EnterAsync("bob");
        var (http, _) = Trusting(stranger.Authority);
        using var client = http;

        await Assert.ThrowsAsync<HttpRequestException>(async () => await client.GetAsync(server.WebUri()));
        using var plain = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(async () => await plain.GetAsync(new Uri($"http://127.0.0.1:{server.HttpEndPoint!.Port}/")), "plain HTTP to the HTTPS port");
        await bob.SendAsync("still fine");
        Assert.That(await bob.ReadLineAsync(), Is.EqualTo("bob: still fine"));
    }

    [Test]
    public async Task Host_WithCertificate_PrintsTheWebDoorAsHttps()
    {
        await using var host = await HostProcess.StartAsync(["--port", "0", "--http-port", "0", "--tls-cert", _certificates.CertFile, "--tls-key", _certificates.KeyFile]);
        var web = await host.ListeningHttpAsync(TimeSpan.FromSeconds(10));
        var (http, _) = Trusting(_certificates.Authority);
        using var client = http;
        using var health = await client.GetAsync(new Uri($"https://localhost:{web.Port}/healthz"));

        Assert.Multiple(() =>
        {
            Assert.That(web.Scheme, Is.EqualTo("https"));
            Assert.That(host.Output[^1], Is.EqualTo($"listening on {web.Authority} (https)"));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    [Category(Needs.OpenSsl)]
    public async Task FullChainFile_EveryTlsDoorSendsTheIntermediate_SoAClientTrustingOnlyTheRootVerifies(CancellationToken cancellationToken)
    {
        using var chain = TestCertificates.Create("rxchat chain ca", intermediate: true);
        await using var server = TestServer.StartWeb(new ChatServerOptions
        {
            TlsCertificate = chain.CertFile, TlsKey = chain.KeyFile, TlsPort = 0, IrcTlsPort = 0,
        });

        var doors = new Dictionary<string, int>
        {
            ["https"] = server.HttpEndPoint!.Port, ["line"] = server.TlsEndPoint!.Port, ["irc"] = server.IrcTlsEndPoint!.Port,
        };
        var seen = new Dictionary<string, (int Certificates, bool Verified)>();
        foreach (var (door, port) in doors)
        {
            using var openssl = Process.Start(new ProcessStartInfo("openssl")
            {
                ArgumentList = { "s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", chain.CaFile, "-verify_return_error", "-showcerts" },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            openssl.StandardInput.Close();
            var output = await openssl.StandardOutput.ReadToEndAsync(cancellationToken);
            await openssl.WaitForExitAsync(cancellationToken);
            seen[door] = (output.Split("-----BEGIN CERTIFICATE-----").Length - 1, output.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal));
        }

        Assert.That(seen, Is.EquivalentTo(doors.Keys.ToDictionary(d => d, _ => (2, true))), "the certificate and its intermediate, verified against the root alone");
    }
}
