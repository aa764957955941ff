using System.Collections.Immutable;

namespace RxChat.Irc;

/// <summary>
/// One IRC message as a client sends it (RFC 1459 §2.3.1, RFC 2812 §2.3.1, modern.ircdocs.horse "Messages"):
/// <c>[@tags] [:prefix] COMMAND [params] [:trailing]</c>. Tags and the prefix are read past (a client's prefix is
/// never trusted); the command is upper-cased; parameters are split on spaces, and a parameter starting with <c>:</c>
/// takes the rest of the line.
/// </summary>
/// <param name="Command">The command, upper-cased (<c>PRIVMSG</c>, <c>001</c>).</param>
/// <param name="Params">Its parameters, the trailing one last.</param>
internal sealed record IrcMessage(string Command, ImmutableArray<string> Params)
{
    /// <summary>The parameter at <paramref name="index"/>, or null when there are fewer.</summary>
    public string? this[int index] => index < Params.Length ? Params[index] : null;

    /// <summary>Reads a line without its terminator; null for a line without a command (empty, tags or prefix alone).</summary>
    public static IrcMessage? Parse(string line)
    {
        var rest = line.AsSpan().TrimStart(' ');
        if (rest.StartsWith("@"))
        {
            rest = Skip(rest);
        }

        if (rest.StartsWith(":"))
        {
            rest = Skip(rest);
        }

        var end = rest.IndexOf(' ');
        var command = (end < 0 ? rest : rest[..end]).ToString().ToUpperInvariant();
        if (command.Length == 0)
        {
            return null;
        }

        rest = end < 0 ? [] : rest[end..].TrimStart(' ');
        var parameters = ImmutableArray.CreateBuilder<string>();
        while (!rest.IsEmpty)
        {
            if (rest[0] == ':')
            {
                parameters.Add(rest[1..].ToString());
                break;
            }

            end = rest.IndexOf(' ');
            parameters.Add((end < 0 ? rest : rest[..end]).ToString());
            rest = end < 0 ? [] : rest[end..].TrimStart(' ');
        }

        return new IrcMessage(command, parameters.DrainToImmutable());
    }

    private static ReadOnlySpan<char> Skip(ReadOnlySpan<char> rest)
    {
        var end = rest.IndexOf(' ');
        return end < 0 ? [] : rest[end..].TrimStart(' ');
    }
}
