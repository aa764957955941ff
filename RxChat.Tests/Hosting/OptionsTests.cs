using Microsoft.Extensions.Configuration;
using NUnit.Framework;
using RxChat.Hosting;

namespace RxChat.Tests.Hosting;

/// <summary>Options from appsettings.json, RXCHAT_ environment variables and the command line, in that rising precedence.</summary>
[NonParallelizable]
public class OptionsTests
{
    private string _directory = null!;
    private readonly List<string> _variables = [];

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("rxchat-options").FullName;

    [TearDown]
    public void Clean()
    {
        Directory.Delete(_directory, recursive: true);
        foreach (var name in _variables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    private void SetEnvironment(string name, string value)
    {
        _variables.Add(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    private ChatServerOptions Read(params string[] args) =>
        ChatServerOptionsReader.Read(ChatHost.AddSources(new ConfigurationBuilder(), args, _directory).Build());

    [Test]
    public void Nothing_GivesTheProtocolDefaults()
    {
        Assert.That(Read(), Is.EqualTo(new ChatServerOptions()));
    }

    [Test]
    public void EachSource_IsRead()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """{ "max-clients": 7, "OutboxCapacity": 9 }""");
        SetEnvironment("RXCHAT_IDLE_TIMEOUT", "90s");
        SetEnvironment("RXCHAT_slow-client-policy", "disconnect");

        var options = Read("--port", "0", "--rate-limit=2.5", "--shutdown-timeout", "00:00:02");

        Assert.That(options, Is.EqualTo(new ChatServerOptions
        {
            MaxClients = 7, OutboxCapacity = 9, IdleTimeout = TimeSpan.FromSeconds(90), SlowClientPolicy = SlowClientPolicy.Disconnect,
            Port = 0, RateLimit = 2.5, ShutdownTimeout = TimeSpan.FromSeconds(2),
        }));
    }

    [Test]
    public void Precedence_CommandLineOverEnvironmentOverFile()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """{ "port": 1001, "max-clients": 1, "rate-burst": 3 }""");
        SetEnvironment("RXCHAT_PORT", "1002");
        SetEnvironment("RXCHAT_MAX_CLIENTS", "2");

        var options = Read("--port", "1003");

        Assert.Multiple(() =>
        {
            Assert.That(options.Port, Is.EqualTo(1003), "command line over environment");
            Assert.That(options.MaxClients, Is.EqualTo(2), "environment over file");
            Assert.That(options.RateBurst, Is.EqualTo(3), "file over default");
        });
    }

    [TestCase("300ms", 0.3)]
    [TestCase("90s", 90)]
    [TestCase("5m", 300)]
    [TestCase("1h", 3600)]
    [TestCase("30", 30)]
    [TestCase("0", 0)]
    [TestCase("00:05:00", 300)]
    public void Duration_AllForms_Parse(string text, double seconds)
    {
        Assert.That(ChatServerOptionsReader.ParseDuration(text), Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("-1s")]
    [TestCase("5 minutes")]
    [TestCase("")]
    [TestCase("1d")]
    public void Duration_Bad_Throws(string text)
    {
        Assert.That(() => ChatServerOptionsReader.ParseDuration(text), Throws.InstanceOf<FormatException>());
    }

    [Test]
    public void BurstOfZero_CountsAsOne()
    {
        Assert.That(Read("--rate-burst", "0").RateBurst, Is.EqualTo(1));
    }

    [Test]
    public void BadValueInEnvironment_NamesTheOption()
    {
        SetEnvironment("RXCHAT_PORT", "abc");

        Assert.That(() => Read(), Throws.InstanceOf<FormatException>().With.Message.Contains("--port").And.Message.Contains("RXCHAT_PORT"));
    }

    [Test]
    public void RoomOptions_FromTheCommandLine_AreRead()
    {
        var options = Read("--redis", "127.0.0.1:6390", "--room", "lobby.eu-1", "--node-timeout", "1500ms", "--history-size", "50");

        Assert.That(options, Is.EqualTo(new ChatServerOptions
        {
            Redis = "127.0.0.1:6390", Room = "lobby.eu-1", NodeTimeout = TimeSpan.FromMilliseconds(1500), HistorySize = 50,
        }));
    }

    [TestCase("--room", "two words")]
    [TestCase("--room", "{tag}")]
    [TestCase("--node-timeout", "0")]
    [TestCase("--node-timeout", "50ms")]
    [TestCase("--history-size", "-1")]
    [TestCase("--redis", ",")]
    public void RoomOptions_Bad_NameTheOption(string option, string value)
    {
        Assert.That(() => Read(option, value), Throws.InstanceOf<FormatException>().With.Message.Contains(option));
    }

    [TestCase("localhost:6379,password=S3cr3t-Pw,bogus=1")]
    [TestCase("password=S3cr3t-Pw")]
    [TestCase("localhost:6379,password=S3cr3t-Pw,connectTimeout=soon")]
    [TestCase("localhost:S3cr3t-Pw")]
    public void Redis_Bad_TheErrorNamesTheOption_AndNeverTheValue(string value)
    {
        Assert.That(() => Read("--redis", value), Throws.InstanceOf<FormatException>()
            .With.Message.Contains("--redis").And.Message.Not.Contains("S3cr3t"));
    }

    [Test]
    public void Redis_BadInTheEnvironment_TheErrorNamesTheVariable_AndNeverTheValue()
    {
        SetEnvironment("RXCHAT_REDIS", "localhost:6379,password=S3cr3t-Pw,bogus=1");

        Assert.That(() => Read(), Throws.InstanceOf<FormatException>()
            .With.Message.Contains("RXCHAT_REDIS").And.Message.Not.Contains("S3cr3t"));
    }

    [Test]
    public void IrcOptions_FromTheCommandLine_AreRead()
    {
        var options = Read("--irc-port", "6667", "--irc-channel", "#Lobby", "--irc-server-name", "chat.example.org");

        Assert.That(options, Is.EqualTo(new ChatServerOptions { IrcPort = 6667, IrcChannel = "#Lobby", IrcServerName = "chat.example.org" }));
    }

    [Test]
    public void IrcServerName_ByDefault_IsAHostNameIrcCanCarry()
    {
        Assert.That(new ChatServerOptions().IrcServerName, Does.Match("^[^ :]+$"));
    }

    [TestCase("--irc-port", "65536")]
    [TestCase("--irc-channel", "rxchat")]
    [TestCase("--irc-channel", "#two words")]
    [TestCase("--irc-channel", "#a,b")]
    [TestCase("--irc-channel", "#")]
    [TestCase("--irc-server-name", "my server")]
    [TestCase("--irc-server-name", ":colon")]
    [TestCase("--irc-tls-port", "6697")]
    public void IrcOptions_Bad_NameTheOption(string option, string value)
    {
        Assert.That(() => Read(option, value), Throws.InstanceOf<FormatException>().With.Message.Contains(option));
    }

    [TestCase(new[] { "--port", "9000", "--irc-port", "9000" }, "--irc-port", "--port's")]
    [TestCase(new[] { "--port", "9000", "--http-port", "9000" }, "--http-port", "--port's")]
    [TestCase(new[] { "--irc-port", "9001", "--http-port", "9001" }, "--http-port", "--irc-port's")]
    public void TwoDoors_OnOnePort_NameTheOption(string[] args, string named, string says)
    {
        Assert.That(() => Read(args), Throws.InstanceOf<FormatException>().With.Message.StartsWith(named + " ").And.Message.Contains(says));
    }

    [Test]
    public void TwoDoors_OnPortZero_EachPicksItsOwn()
    {
        Assert.That(Read("--port", "0", "--irc-port", "0", "--http-port", "0"), Is.EqualTo(new ChatServerOptions { Port = 0, IrcPort = 0, HttpPort = 0 }));
    }
}
