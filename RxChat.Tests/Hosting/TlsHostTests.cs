using System.Diagnostics;
using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Hosting;

/// <summary>
/// The TLS options (PROTOCOL.md, Server options: <c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-port</c>): checked before
/// anything listens, one line naming the option and exit status 2; and the real process with a real TLS client from
/// Debian, <c>openssl s_client</c>.
/// </summary>
[CancelAfter(60_000)]
public class TlsHostTests
{
    private TestCertificates _certificates = null!;

    [SetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [TearDown]
    public void RemoveCertificates() => _certificates.Dispose();

    private static async Task<(int Status, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var status = await ChatHost.RunAsync(args, output, error);
        return (status, output.ToString(), error.ToString());
    }

    private static void AssertBadOption((int Status, string Output, string Error) run, string named, string says)
    {
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(2));
            Assert.That(run.Error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), run.Error);
            Assert.That(run.Error, Does.StartWith($"rxchat: {named} "));
            Assert.That(run.Error, Does.Contain(says));
            Assert.That(run.Output, Is.Empty, "nothing listens");
        });
    }

    [Test]
    public async Task Host_TlsCertNotAPemCertificate_Exits2NamingIt()
    {
        var notPem = Path.Combine(_certificates.Directory, "notes.txt");
        File.WriteAllText(notPem, "not a certificate\n");

        AssertBadOption(await RunAsync("--port", "0", "--tls-port", "0", "--tls-cert", notPem, "--tls-key", _certificates.KeyFile), "--tls-cert", "notes.txt");
    }

    [Test]
    public async Task Host_TlsCertMissingFile_Exits2NamingIt()
    {
        AssertBadOption(await RunAsync("--tls-cert", Path.Combine(_certificates.Directory, "gone.pem"), "--tls-key", _certificates.KeyFile), "--tls-cert", "gone.pem");
    }

    [Test]
    public async Task Host_TlsCertWithoutKey_Exits2NamingIt()
    {
        AssertBadOption(await RunAsync("--port", "0", "--tls-port", "0", "--tls-cert", _certificates.CertFile), "--tls-cert", "--tls-key");
    }

    [Test]
    public async Task Host_TlsKeyOfAnotherCertificate_Exits2NamingTheKey()
    {
        using var other = TestCertificates.Create("another authority");

        AssertBadOption(await RunAsync("--port", "0", "--tls-port", "0", "--tls-cert", _certificates.CertFile, "--tls-key", other.KeyFile), "--tls-key", "does not match");
    }

    [Test]
    public async Task Host_TlsKeyFileHoldsNoKey_Exits2NamingIt()
    {
        AssertBadOption(await RunAsync("--port", "0", "--tls-port", "0", "--tls-cert", _certificates.CertFile, "--tls-key", _certificates.CaFile), "--tls-key", "ca.pem");
    }

    [Test]
    public async Task Host_TlsPortWithoutCertificate_Exits2NamingIt()
    {
        AssertBadOption(await RunAsync("--port", "0", "--tls-port", "0"), "--tls-port", "--tls-cert");
    }

    [Test]
    public async Task Host_TlsHandshakeTimeoutNegative_Exits2NamingIt()
    {
        AssertBadOption(await RunAsync("--tls-handshake-timeout", "-1s"), "--tls-handshake-timeout", "negative");
    }

    [Test]
    public async Task Host_TlsPortInUse_NamesThatPortAndExits1()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (status, output, error) = await RunAsync("--port", "0", "--tls-port", port, "--tls-cert", _certificates.CertFile, "--tls-key", _certificates.KeyFile);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(1));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith($"rxchat: cannot listen on 127.0.0.1:{port}: "));
            Assert.That(output, Is.Empty);
        });
    }

    [Test]
    [Category(Needs.OpenSsl)]
    public async Task Host_OpenSslClient_ChatsOverTlsWithANetcatStyleClient(CancellationToken cancellationToken)
    {
        await using var host = await HostProcess.StartAsync(["--port", "0", "--tls-port", "0", "--tls-cert", _certificates.CertFile, "--tls-key", _certificates.KeyFile]);
        var tls = await host.ListeningTlsAsync(TimeSpan.FromSeconds(10));
        await using var alice = await LineClient.EnterAsync(host.EndPoint, "alice", cancellationToken);

        // As the README has it; -verify_return_error: a certificate that does not chain to the CA ends the handshake.
        using var openssl = Process.Start(new ProcessStartInfo("openssl")
        {
            ArgumentList = { "s_client", "-quiet", "-verify_return_error", "-connect", $"127.0.0.1:{tls.Port}", "-CAfile", _certificates.CaFile },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            var stderr = openssl.StandardError.ReadToEndAsync(cancellationToken);
            async Task<string?> Heard()
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(LineClient.Timeout);
                return await openssl.StandardOutput.ReadLineAsync(deadline.Token);
            }

            var prompt = await Heard();
            await openssl.StandardInput.WriteAsync("carol\nhello from openssl\n");
            await openssl.StandardInput.FlushAsync(cancellationToken);
            var welcome = new[] { await Heard(), await Heard(), await Heard() };
            await alice.SendAsync("hi carol");
            var reply = await Heard();

            // -quiet ignores the end of its input: /quit ends the session, and the server's close ends openssl.
            await openssl.StandardInput.WriteAsync("/quit\n");
            await openssl.StandardInput.FlushAsync(cancellationToken);
            await openssl.WaitForExitAsync(cancellationToken).WaitAsync(LineClient.Timeout, cancellationToken);

            Assert.Multiple(async () =>
            {
                Assert.That(prompt, Is.EqualTo("What is your name?"), await stderr);
                Assert.That(welcome, Is.EqualTo(new[] { "You are carol", "Current clients: alice, carol", "carol: hello from openssl" }));
                Assert.That(reply, Is.EqualTo("alice: hi carol"));
                Assert.That(await alice.ReadLinesAsync(4), Is.EqualTo(new[] { "carol has arrived", "carol: hello from openssl", "alice: hi carol", "carol has left" }));
                Assert.That(await stderr, Does.Contain("verify return:1"));
            });
        }
        finally
        {
            if (!openssl.HasExited)
            {
                openssl.Kill();
            }
        }
    }
}
