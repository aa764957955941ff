using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RxChat.Tests.Support;

/// <summary>
/// A raw-socket IRC client for the IRC door's tests: sends lines with <c>\r\n</c>, reads them with the deadline and
/// the test's token of <see cref="LineClient"/>, registers and joins as a client would, and answers nothing on its
/// own (a test that wants the server's <c>PING</c> answered answers it).
/// </summary>
internal sealed class IrcClient : IAsyncDisposable
{
    private readonly LineClient _line;

    private IrcClient(LineClient line, string nick)
    {
        _line = line;
        Nick = nick;
    }

    /// <summary>The nick it registered with (not followed through renames).</summary>
    public string Nick { get; }

    /// <summary>The connection underneath, for raw bytes, resets and read timeouts.</summary>
    public LineClient Line => _line;

    /// <summary>Connects without registering.</summary>
    public static async Task<IrcClient> ConnectAsync(IPEndPoint endPoint, string nick = "", CancellationToken cancellationToken = default) =>
        new(await LineClient.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false), nick);

    /// <summary>Connects over TLS, trusting exactly <paramref name="authority"/>, without registering.</summary>
    public static async Task<IrcClient> ConnectTlsAsync(IPEndPoint endPoint, X509Certificate2 authority, string nick = "", CancellationToken cancellationToken = default) =>
        new(await LineClient.ConnectTlsAsync(endPoint, authority, cancellationToken).ConfigureAwait(false), nick);

    /// <summary>
    /// Connects, registers as irssi does (<c>CAP LS 302</c>, <c>NICK</c>, <c>USER</c>, <c>CAP END</c>) and reads the
    /// welcome burst up to its <c>422</c>; with <paramref name="join"/>, joins <paramref name="channel"/> and reads up
    /// to its <c>366</c>.
    /// </summary>
    /// <returns>The client; <see cref="Burst"/> holds the lines read.</returns>
    public static async Task<IrcClient> RegisterAsync(
        IPEndPoint endPoint, string nick, bool join = true, string channel = "#rxchat", CancellationToken cancellationToken = default)
    {
        var client = await ConnectAsync(endPoint, nick, cancellationToken).ConfigureAwait(false);
        return await client.RegisterAsync(join, channel).ConfigureAwait(false);
    }

    /// <summary>Registers (as <see cref="RegisterAsync(IPEndPoint, string, bool, string, CancellationToken)"/>) on a connection made already.</summary>
    public async Task<IrcClient> RegisterAsync(bool join = true, string channel = "#rxchat")
    {
        await SendAsync("CAP LS 302", $"NICK {Nick}", $"USER {Nick} 0 * :{Nick} the tester", "CAP END").ConfigureAwait(false);
        Burst.AddRange(await ReadThroughAsync(l => Numeric(l) == "422").ConfigureAwait(false));
        if (join)
        {
            await SendAsync($"JOIN {channel}").ConfigureAwait(false);
            Burst.AddRange(await ReadThroughAsync(l => Numeric(l) == "366").ConfigureAwait(false));
        }

        return this;
    }

    /// <summary>The lines read while registering and joining.</summary>
    public List<string> Burst { get; } = [];

    /// <summary>Sends each line with <c>\r\n</c>, in one write.</summary>
    public Task SendAsync(params string[] lines) => _line.SendRawAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\r\n"))));

    /// <summary>The next line, or null at the end of the stream.</summary>
    public Task<string?> ReadLineAsync() => _line.ReadLineAsync();

    /// <summary>The next <paramref name="count"/> lines (null for each past the end of the stream).</summary>
    public Task<List<string?>> ReadLinesAsync(int count) => _line.ReadLinesAsync(count);

    /// <summary>Reads lines until one matches <paramref name="last"/>; returns them all, that one last.</summary>
    /// <exception cref="InvalidOperationException">The stream ended first (the message lists what was read).</exception>
    public async Task<List<string>> ReadThroughAsync(Func<string, bool> last)
    {
        var seen = new List<string>();
        while (true)
        {
            var line = await _line.ReadLineAsync().ConfigureAwait(false)
                ?? throw new InvalidOperationException($"end of stream; saw: {string.Join(" | ", seen)}");
            seen.Add(line);
            if (last(line))
            {
                return seen;
            }
        }
    }

    /// <summary>Reads lines through the first whose command (or numeric) is <paramref name="command"/>; returns that one.</summary>
    public async Task<string> ReadCommandAsync(string command) => (await ReadThroughAsync(l => Command(l) == command).ConfigureAwait(false))[^1];

    /// <summary>Reads every line until the server closes the connection.</summary>
    public Task<List<string>> ReadToEndAsync() => _line.ReadToEndAsync();

    /// <summary>A line's command or numeric: <c>PRIVMSG</c> in <c>:a!b@c PRIVMSG #x :hi</c>.</summary>
    public static string Command(string line)
    {
        var words = line.Split(' ');
        return words[0].StartsWith(':') && words.Length > 1 ? words[1] : words[0];
    }

    /// <summary>A line's numeric (<c>001</c>), or null for a command.</summary>
    public static string? Numeric(string line) => Command(line) is { Length: 3 } c && c.All(char.IsAsciiDigit) ? c : null;

    /// <summary>A line's trailing parameter (after <c> :</c>), or null.</summary>
    public static string? Trailing(string line) => line.IndexOf(" :", StringComparison.Ordinal) is var at and >= 0 ? line[(at + 2)..] : null;

    public ValueTask DisposeAsync() => _line.DisposeAsync();
}
