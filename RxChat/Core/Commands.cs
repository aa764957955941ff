using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;

namespace RxChat.Core;

/// <summary>
/// The chat commands of PROTOCOL.md, Commands: one table that both parses (<see cref="Run"/>) and documents
/// (<c>/help</c>). Each handler is part of the pure fold: it returns the next state and what to send.
/// </summary>
internal static class Commands
{
    private delegate ChatStep Handler(ChatState state, Client client, string arguments);

    private sealed record Command(string Name, string Usage, string Summary, Handler Handle);

    private static readonly ImmutableArray<Command> Table =
    [
        new("who", "/who", "list the clients here, in order of arrival", Who),
        new("nick", "/nick NEW", "change your name to NEW", Nick),
        new("me", "/me ACTION", "act: everyone sees * NAME ACTION", Me),
        new("msg", "/msg TO TEXT", "send TEXT to TO only", Msg),
        new("quit", "/quit", "leave the chat", Quit),
        new("history", "/history [N]", "the last N chat lines, 1 to 100 (default 20)", History),
        new("help", "/help", "list these commands", Help),
    ];

    private static readonly FrozenDictionary<string, Command> ByName =
        Table.ToFrozenDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    private static readonly ImmutableArray<OutgoingLine> HelpLines =
        [.. Table.Select(c => new OutgoingLine($"{c.Usage.PadRight(14)} {c.Summary}"))];

    /// <summary>
    /// Runs the command line <paramref name="line"/> (sanitised, starting with <c>/</c>, not <c>//</c>) from a
    /// named client. The command word ends at the first space or tab and is matched case-insensitively.
    /// </summary>
    public static ChatStep Run(ChatState state, Client client, string line)
    {
        var end = line.AsSpan(1).IndexOfAny(' ', '\t');
        var word = end < 0 ? line[1..] : line[1..(end + 1)];
        var arguments = end < 0 ? string.Empty : line[(end + 1)..];
        return ByName.TryGetValue(word, out var command)
            ? command.Handle(state, client, arguments)
            : Error(state, client, $"error: unknown command '/{word}' (try /help)", ErrorKind.UnknownCommand, word);
    }

    private static ChatStep Who(ChatState state, Client client, string arguments) =>
        new(state, [new Send(client, ChatRules.Answer(state, new DoorQuery(QueryKind.Names, [])))]);

    private static ChatStep Nick(ChatState state, Client client, string arguments)
    {
        var name = arguments.Trim();
        return name.Length == 0 ? Error(state, client, "error: /nick needs a name: /nick NEW", ErrorKind.Usage) : Rename(state, client, name);
    }

    /// <summary>
    /// A named client takes the name <paramref name="name"/> (PROTOCOL.md, Commands, <c>/nick</c>): everyone in the room
    /// hears of it, and so does the client (by the broadcast when it is in the room, else by itself).
    /// </summary>
    public static ChatStep Rename(ChatState state, Client client, string name)
    {
        var old = client.Name!;
        if (string.Equals(name, old, StringComparison.Ordinal))
        {
            return Error(state, client, $"error: you are already {old}", ErrorKind.SameName, name);
        }

        if (ChatRules.Refusal(state, client, name) is { } refusal)
        {
            return ChatRules.Reply(state, client, refusal);
        }

        var renamed = client with { Name = name };
        var next = state with
        {
            Connections = state.Connections.SetItem(client.Id, renamed),
            Names = state.Names.Remove(old).Add(name, client.Id),
        };
        var line = new OutgoingLine($"{old} is now known as {name}") { Message = new RenamedMessage(Member.Of(client), name) };
        var step = new ChatStep(next, [client.InRoom ? new Broadcast(line) : new Send(renamed, line)]);
        return client.IsLocal ? step.Reporting(new ClientRenamed(client.Id, old, name)) : step;
    }

    private static ChatStep Me(ChatState state, Client client, string arguments)
    {
        var action = SkipBlanks(arguments);
        return IsMissing(action)
            ? Error(state, client, "error: /me needs an action: /me ACTION", ErrorKind.Usage)
            : ChatRules.Broadcast(state, client, $"* {client.Name} {action}", new ActedMessage(Member.Of(client), action), new MessageSent(client.Id, client.Name!, action, MessageKind.Action));
    }

    private static ChatStep Msg(ChatState state, Client client, string arguments)
    {
        var rest = SkipBlanks(arguments);
        var end = rest.AsSpan().IndexOfAny(' ', '\t');
        var to = end < 0 ? rest : rest[..end];
        var text = end < 0 ? string.Empty : SkipBlanks(rest[end..]);
        if (IsMissing(to) || IsMissing(text))
        {
            return Error(state, client, "error: /msg needs a recipient and a text: /msg TO TEXT", ErrorKind.Usage);
        }

        if (!state.Names.TryGetValue(to, out var id))
        {
            return Error(state, client, $"error: no client named '{to}'", ErrorKind.NoSuchClient, to);
        }

        // The echo first, so that a message to oneself reads "-> me: hi" then "me (private): hi".
        var recipient = state.Connections[id];
        var step = new ChatStep(state,
        [
            new Send(client, new($"-> {recipient.Name}: {text}") { Message = new PrivateEchoMessage(recipient.Name!, text, recipient.Away) }),
            new Send(recipient, new($"{client.Name} (private): {text}") { Message = new PrivateMessage(Member.Of(client), recipient.Name!, text) }),
        ]);
        return client.IsLocal ? step.Reporting(new MessageSent(client.Id, client.Name!, text, MessageKind.Private, recipient.Name)) : step;
    }

    private static ChatStep Quit(ChatState state, Client client, string arguments) =>
        ChatRules.Leave(state, new ClientLeft(client.Id, DisconnectReason.Quit));

    // PROTOCOL.md, Commands: K is at most N (1 to 100, default 20) and at most what the room keeps; each line as it
    // was broadcast, after the room's UTC time when it was.
    private static ChatStep History(ChatState state, Client client, string arguments)
    {
        var wanted = arguments.Trim();
        var n = 20;
        if (wanted.Length > 0 && (!int.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > RoomSettings.HistoryShown))
        {
            return Error(state, client, "error: /history takes a number of lines from 1 to 100: /history [N]", ErrorKind.Usage);
        }

        var lines = state.History.Skip(Math.Max(0, state.HistoryCount - n)).ToList();
        return new(state,
        [
            new Send(client, new($"History: {lines.Count} lines")),
            .. lines.Select(l => (Delivery)new Send(client, new($"[{l.At.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {l.Text}"))),
        ]);
    }

    private static ChatStep Help(ChatState state, Client client, string arguments) =>
        new(state, [.. HelpLines.Select(line => (Delivery)new Send(client, line))]);

    private static ChatStep Error(ChatState state, Client client, string error, ErrorKind kind, string? subject = null) =>
        new(state, [new Send(client, ChatRules.Error(error, kind, subject))]);

    private static string SkipBlanks(string text) => text.TrimStart(' ', '\t');

    private static bool IsMissing(string argument) => string.IsNullOrWhiteSpace(argument);
}
