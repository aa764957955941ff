using System.Diagnostics;
using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Irc;

/// <summary>
/// A real IRC client against the IRC door: Debian's <c>ii</c>, driven through its files (a FIFO <c>in</c> per server,
/// channel and nick, and an <c>out</c> log beside each), chatting with a netcat-style line client. irssi and WeeChat
/// are tried by hand (README); ii is the one a test can drive without a terminal.
/// </summary>
[Category(Needs.IrcClient)]
[CancelAfter(60_000)]
public class RealIrcClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("rxchat-ii-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task Ii_JoinsChatsAndHearsALineClient_BothWays()
    {
        await using var server = TestServer.Start(new ChatServerOptions { IrcPort = 0, IrcServerName = "irc.test" });
        using var ii = Process.Start(new ProcessStartInfo("ii")
        {
            ArgumentList = { "-s", "127.0.0.1", "-p", server.IrcEndPoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "iiuser", "-f", "ii tester", "-i", _directory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var serverDirectory = Path.Combine(_directory, "127.0.0.1");
            await Eventually.HoldsAsync(() => Task.FromResult(Read(Path.Combine(serverDirectory, "out")).Contains("MOTD File is missing")), Patience, "ii registered");
            await WriteAsync(Path.Combine(serverDirectory, "in"), "/j #rxchat");
            var channel = Path.Combine(serverDirectory, "#rxchat");
            await Eventually.HoldsAsync(() => Task.FromResult(Read(Path.Combine(channel, "out")).Contains("iiuser(~iiuser@127.0.0.1) has joined #rxchat")), Patience, "ii joined");

            await using var bob = await server.EnterAsync("bob");
            await bob.SendAsync("hello ii");
            await bob.SendAsync("/me waves");
            await bob.SendAsync("/msg iiuser psst");
            await bob.ReadLinesAsync(3);
            await Eventually.HoldsAsync(() => Task.FromResult(Read(Path.Combine(serverDirectory, "bob", "out")).Contains("<bob> psst")), Patience, "ii heard bob's private line");
            await WriteAsync(Path.Combine(channel, "in"), "hi bob, from ii");
            var bobHeard = await bob.ReadLineAsync();
            await bob.SendAsync("/who");
            var who = await bob.ReadLineAsync();

            var channelLog = Lines(Path.Combine(channel, "out"));
            Assert.Multiple(() =>
            {
                Assert.That(bobHeard, Is.EqualTo("iiuser: hi bob, from ii"));
                Assert.That(who, Is.EqualTo("Current clients: iiuser, bob"));
                Assert.That(channelLog, Is.EqualTo(new[]
                {
                    "-!- iiuser(~iiuser@127.0.0.1) has joined #rxchat",
                    "-!- bob(nc@127.0.0.1) has joined #rxchat",
                    "<bob> hello ii",
                    "<bob> \u0001ACTION waves\u0001",
                    "<iiuser> hi bob, from ii",
                }), "ii's log of the channel, without its timestamps (ii shows CTCP as it comes)");
            });
        }
        finally
        {
            ii.Kill();
            await ii.WaitForExitAsync();
        }
    }

    // ii's log lines without the leading timestamp.
    private static List<string> Lines(string path) =>
        [.. Read(path).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])];

    private static string Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return string.Empty;
        }
    }

    // ii reads its FIFOs; opening one for writing waits until ii has it open for reading.
    private static async Task WriteAsync(string fifo, string line)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(fifo)), Patience, $"{fifo} exists");
        await using var writer = new StreamWriter(new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite));
        await writer.WriteAsync(line + "\n");
    }
}
