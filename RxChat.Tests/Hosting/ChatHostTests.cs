using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Hosting;

/// <summary>The command's argument checks and exit statuses (PROTOCOL.md, Server options), in process.</summary>
[CancelAfter(30_000)]
public class ChatHostTests
{
    private static async Task<(int Status, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var status = await ChatHost.RunAsync(args, output, error);
        return (status, output.ToString(), error.ToString());
    }

    [TestCase("--port", "70000", "--port", TestName = "Host_PortOutOfRange_Exits2")]
    [TestCase("--idle-timeout", "-5s", "--idle-timeout", TestName = "Host_NegativeTimeout_Exits2")]
    [TestCase("--idle-timeout", "5x", "--idle-timeout", TestName = "Host_UnknownUnit_Exits2")]
    [TestCase("--slow-client-policy", "block", "--slow-client-policy", TestName = "Host_UnknownPolicy_Exits2")]
    [TestCase("--rate-burst", "-1", "--rate-burst", TestName = "Host_NegativeBurst_Exits2")]
    [TestCase("--bogus", "1", "--bogus", TestName = "Host_UnknownOption_Exits2")]
    [TestCase("--Port", "1", "--Port", TestName = "Host_OptionInOtherCase_IsUnknown")]
    [TestCase("--port", "--host", "--port", TestName = "Host_OptionWithoutValue_Exits2")]
    public async Task Host_BadOption_PrintsOneLineNamingItAndExits2(string name, string value, string named)
    {
        var (status, output, error) = await RunAsync(name, value);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(2));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
            Assert.That(error, Does.Contain(named));
            Assert.That(output, Is.Empty, "nothing listens");
        });
    }

    [Test]
    public async Task Host_BadRedisWithAPassword_SaysWhatIsWrong_NeverThePassword()
    {
        var (status, output, error) = await RunAsync("--redis", "127.0.0.1:6379,password=S3cr3t-Pw,bogus=1");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(2));
            Assert.That(error, Does.Contain("--redis").And.Contain("not a Redis configuration"));
            Assert.That(error + output, Does.Not.Contain("S3cr3t"));
        });
    }

    [Test]
    public async Task Host_OptionGivenTwice_Exits2()
    {
        var (status, _, error) = await RunAsync("--port", "0", "--port", "5");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(2));
            Assert.That(error, Does.Contain("--port"));
        });
    }

    [Test]
    public async Task Host_IrcPortInUse_PrintsOneLineNamingItAndExits1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (status, output, error) = await RunAsync("--port", "0", "--irc-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(1));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith($"rxchat: cannot listen on 127.0.0.1:{port}: "));
            Assert.That(output, Is.Empty);
        });
    }

    [Test]
    public async Task Host_WithAnIrcDoor_SaysWhereEachDoorListensAndServesIrcThere()
    {
        await using var host = await HostProcess.StartAsync(["--port", "0", "--irc-port", "0", "--irc-server-name", "irc.test"]);
        var irc = await host.ListeningIrcAsync(TimeSpan.FromSeconds(10));
        await using var alice = await IrcClient.RegisterAsync(irc, "alice");

        Assert.Multiple(() =>
        {
            Assert.That(host.Output, Is.EqualTo(new[] { $"listening on {host.EndPoint}", $"listening on {irc} (irc)" }));
            Assert.That(irc.Port, Is.Not.EqualTo(host.EndPoint.Port));
            Assert.That(alice.Burst[1], Does.StartWith(":irc.test 001 alice "));
        });
    }

    [Test]
    public async Task Host_PortInUse_PrintsOneLineAndExits1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (status, output, error) = await RunAsync("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(1));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.Contain($"{port}"));
            Assert.That(output, Is.Empty);
        });
    }

    [Test]
    public async Task Host_Help_ListsEveryOptionWithItsDefault()
    {
        var (status, output, _) = await RunAsync("--help");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.Zero);
            foreach (var name in ChatServerOptionsReader.Names)
            {
                Assert.That(output, Does.Contain($"--{name} "));
            }

            Assert.That(output, Does.Contain("default 127.0.0.1").And.Contain("default 8000").And.Contain("default 5m").And.Contain("default 4096"));
        });
    }

    [Test]
    public async Task Host_Version_PrintsTheVersion()
    {
        var (status, output, _) = await RunAsync("--version");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.Zero);
            Assert.That(output.Trim(), Does.StartWith($"rxchat {typeof(ChatHost).Assembly.GetName().Version!.ToString(3)}"));
        });
    }
}
