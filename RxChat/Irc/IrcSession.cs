using System.Collections.Immutable;
using RxChat.Core;

namespace RxChat.Irc;

/// <summary>
/// The reading half of one IRC connection (PROTOCOL.md, Doors, IRC door; front-doors.md §1): each line an IRC client
/// sends becomes what the core takes, a line's text with a <see cref="DoorCommand"/> beside it. Registration
/// (<c>CAP</c>, <c>PASS</c>, <c>NICK</c>, <c>USER</c>) is kept here until the name is asked for; everything that
/// answers the client, its own replies included (<c>PONG</c>, <c>324</c>), goes through the core as an
/// <see cref="Echo"/>, so that it reaches the client in order with the room's lines (irctest synchronises on
/// <c>PING</c>). Every line yields at least one line for the core, so that every line counts as activity.
/// Used by one reader at a time.
/// </summary>
/// <remarks>
/// Echo lines are templates for <see cref="IrcRenderer"/>: <c>NNN rest</c> is a numeric to the client's current nick,
/// <c>@self rest</c> a message with the client's own prefix, anything else a message from the server; <c>$me</c> is
/// the client's current nick (<c>*</c> before it has one).
/// </remarks>
internal sealed class IrcSession(IrcDoorSettings door, string host = "127.0.0.1")
{
    private static readonly ReceivedLine Nothing = Reply();

    // The commands a connection may send before it registers; anything else gets 451.
    private static readonly ImmutableHashSet<string> BeforeRegistration = ["CAP", "PASS", "NICK", "USER", "PING", "PONG", "QUIT"];

    // CAP LS or REQ was sent and CAP END not yet: registration waits (modern.ircdocs.horse, Capability Negotiation).
    private bool _negotiating;

    // The nick last asked for, and the user name given.
    private string? _nick;
    private string? _user;

    // The name has been asked of the core: registered, unless the core refused it (it answers 432 or 433, and the
    // client sends another NICK).
    private bool _registered;

    /// <summary>The words of the client's <c>QUIT</c>, once it has sent one.</summary>
    public string? QuitWords { get; private set; }

    /// <summary>What the core takes for one line the client sent (at least one line).</summary>
    public IReadOnlyList<ReceivedLine> Read(ReceivedLine line)
    {
        if (line.IsTooLong)
        {
            return [line];
        }

        var message = IrcMessage.Parse(line.Text);
        if (message is null)
        {
            return [Nothing];
        }

        if (!_registered && !BeforeRegistration.Contains(message.Command))
        {
            return [Reply("451 :You have not registered")];
        }

        return message.Command switch
        {
            "CAP" => Cap(message),
            "PASS" => _registered ? [Reply("462 :You may not reregister")] : [Nothing],
            "NICK" => Nick(message),
            "USER" => User(message),
            "PING" => [message[0] is { } token ? Reply($"PONG {door.ServerName} :{token}") : Reply("409 :No origin specified")],
            "PONG" => [Nothing],
            "QUIT" => [Quit(message[0])],
            "JOIN" => Join(message),
            "PART" => Part(message),
            "PRIVMSG" => Say(message, notice: false),
            "NOTICE" => Say(message, notice: true),
            "NAMES" => [Ask(QueryKind.Names, message[0] is { Length: > 0 } names ? names.Split(',')[0] : door.Channel)],
            "WHO" => [Ask(QueryKind.Who, message[0] is { Length: > 0 } mask ? mask : "*")],
            "WHOIS" => Whois(message),

            // No history of nicks is kept; irssi asks after a WHOIS of a nick that is gone.
            "WHOWAS" => [message[0] is { Length: > 0 } gone
                ? Reply($"406 {gone} :There was no such nickname", $"369 {gone} :End of WHOWAS")
                : Reply("431 :No nickname given")],
            "ISON" => message.Params.IsEmpty ? [Reply("461 ISON :Not enough parameters")] : [Ask(QueryKind.Ison, [.. message.Params.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries))])],
            "USERHOST" => message.Params.IsEmpty ? [Reply("461 USERHOST :Not enough parameters")] : [Ask(QueryKind.Userhost, [.. message.Params.Take(5)])],
            "LIST" => [Ask(QueryKind.List)],
            "LUSERS" => [Ask(QueryKind.Users)],
            "MOTD" => [Reply("422 :MOTD File is missing")],
            "TOPIC" => [Topic(message)],
            "MODE" => [Mode(message)],
            "AWAY" => [new ReceivedLine(string.Empty) { Command = new SetAway(message[0] is { Length: > 0 } away ? IrcText.StripFormatting(away) : null) }],
            "HISTORY" => [new ReceivedLine(message[0] is { } n ? $"/history {n}" : "/history")],
            var command => [Reply($"421 {command} :Unknown command")],
        };
    }

    /// <summary>Lines the server sends back to the client in its order, as <see cref="IrcRenderer"/> renders them.</summary>
    public static ReceivedLine Reply(params ImmutableArray<string> lines) => new(string.Empty) { Command = new Echo(lines) };

    private static ReceivedLine Ask(QueryKind kind, params ImmutableArray<string> names) => new(string.Empty) { Command = new Ask(new DoorQuery(kind, names)) };

    // No capability is offered: LS and LIST answer an empty list, REQ is refused as a whole (front-doors.md §1.2).
    private IReadOnlyList<ReceivedLine> Cap(IrcMessage message)
    {
        switch (message[0]?.ToUpperInvariant())
        {
            case "LS":
                _negotiating = !_registered;
                return [Reply("CAP $me LS :")];
            case "LIST":
                return [Reply("CAP $me LIST :")];
            case "REQ":
                _negotiating = !_registered;
                return [Reply($"CAP $me NAK :{message[1]}")];
            case "END":
                _negotiating = false;
                return Register() is { } register ? [register] : [Nothing];
            case null:
                return [Reply("461 CAP :Not enough parameters")];
            case var sub:
                return [Reply($"410 {sub} :Invalid CAP command")];
        }
    }

    private IReadOnlyList<ReceivedLine> Nick(IrcMessage message)
    {
        if (message[0] is not { Length: > 0 } nick)
        {
            return [Reply("431 :No nickname given")];
        }

        // The name's form is checked here too, so that a client learns at once (the core checks it again, and whether
        // it is taken, once it registers); the server's own name would let a client pass for the server.
        if (ClientNames.Validate(nick) is not null || string.Equals(nick, door.ServerName, StringComparison.OrdinalIgnoreCase))
        {
            return [Reply($"432 {nick} :Erroneous nickname")];
        }

        _nick = nick;
        if (_registered)
        {
            return [new ReceivedLine(nick) { Command = new Register(_user!) }];
        }

        return Register() is { } register ? [register] : [Nothing];
    }

    private IReadOnlyList<ReceivedLine> User(IrcMessage message)
    {
        if (_user is not null)
        {
            return [Reply("462 :You may not reregister")];
        }

        if (message.Params.Length < 4 || message[0]!.Length == 0 || message[3]!.Length == 0)
        {
            return [Reply("461 USER :Not enough parameters")];
        }

        // An identity not checked by ident: '~' and the first letters, digits, '_', '-' and '.' of the name given.
        var user = new string([.. message[0]!.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.').Take(9)]);
        _user = "~" + (user.Length == 0 ? "user" : user);
        return Register() is { } register ? [register] : [Nothing];
    }

    // Asks the core for the name once NICK and USER are in and no capability negotiation holds registration back.
    private ReceivedLine? Register()
    {
        if (_registered || _negotiating || _nick is null || _user is null)
        {
            return null;
        }

        _registered = true;
        return new ReceivedLine(_nick) { Command = new Register(_user) };
    }

    private ReceivedLine Quit(string? words)
    {
        QuitWords = words ?? string.Empty;
        return new ReceivedLine("/quit") { Command = new QuitRoom(words) };
    }

    private IReadOnlyList<ReceivedLine> Join(IrcMessage message)
    {
        if (message[0] is not { Length: > 0 } channels)
        {
            return [Reply("461 JOIN :Not enough parameters")];
        }

        if (channels == "0")
        {
            return [new ReceivedLine(string.Empty) { Command = new PartRoom(null) }];
        }

        return [.. channels.Split(',').Select(channel => door.IsChannel(channel)
            ? new ReceivedLine(string.Empty) { Command = new JoinRoom() }
            : Reply($"403 {channel} :No such channel"))];
    }

    private IReadOnlyList<ReceivedLine> Part(IrcMessage message)
    {
        if (message[0] is not { Length: > 0 } channels)
        {
            return [Reply("461 PART :Not enough parameters")];
        }

        return [.. channels.Split(',').Select(channel => door.IsChannel(channel)
            ? new ReceivedLine(string.Empty) { Command = new PartRoom(message[1] is { Length: > 0 } words ? IrcText.StripFormatting(words) : null) }
            : Reply($"403 {channel} :No such channel"))];
    }

    // PRIVMSG and NOTICE: to the channel, a chat line (an ACTION, /me); to a nick, /msg. A NOTICE never draws an error
    // from here (RFC 2812 §3.3.2). Other CTCP (VERSION, PING) is not relayed: line clients could not read it.
    private IReadOnlyList<ReceivedLine> Say(IrcMessage message, bool notice)
    {
        if (message[0] is not { Length: > 0 } targets)
        {
            return [notice ? Nothing : Reply($"411 :No recipient given ({message.Command})")];
        }

        if (message[1] is not { Length: > 0 } raw)
        {
            return [notice ? Nothing : Reply("412 :No text to send")];
        }

        var text = IrcText.StripFormatting(raw);
        var action = false;
        if (text.StartsWith(IrcText.Ctcp))
        {
            var ctcp = text.Trim(IrcText.Ctcp);
            if (!ctcp.StartsWith("ACTION", StringComparison.OrdinalIgnoreCase) || (ctcp.Length > 6 && ctcp[6] != ' '))
            {
                return [Nothing];
            }

            text = ctcp.Length > 7 ? ctcp[7..] : string.Empty;
            action = true;
        }

        var each = targets.Split(',');
        if (each.Length > IrcRenderer.MaxTargets)
        {
            return [notice ? Nothing : Reply($"407 {each[IrcRenderer.MaxTargets]} :Too many recipients (at most {IrcRenderer.MaxTargets}); nothing sent")];
        }

        return [.. each.Select(target => To(target, text, action, notice) is var line && notice && line.Command is null
            ? line with { Command = new Quietly() }
            : line)];
    }

    private ReceivedLine To(string target, string text, bool action, bool notice)
    {
        // PROTOCOL.md, IRC door: the text a client may send is bounded so that it always fits when relayed, with the
        // sender's prefix and the target, in one 512-byte line.
        var relayed = $":{_nick}!{_user}@{host} PRIVMSG {target} :{(action ? "\u0001ACTION \u0001" : string.Empty)}";
        if (IrcText.Bytes(relayed) + IrcText.Bytes(text) > IrcText.MaxLine - 2)
        {
            return notice ? Nothing : Reply("417 :Input line was too long");
        }

        if (IrcDoorSettings.IsChannelName(target))
        {
            return !door.IsChannel(target) ? (notice ? Nothing : Reply($"403 {target} :No such channel"))
                : action ? new ReceivedLine($"/me {text}")
                : new ReceivedLine(text.StartsWith('/') ? "/" + text : text);
        }

        return new ReceivedLine(action ? $"/msg {target} * {text}" : $"/msg {target} {text}");
    }

    private IReadOnlyList<ReceivedLine> Whois(IrcMessage message)
    {
        // WHOIS [server] nicks
        var nicks = message.Params.Length >= 2 ? message[1] : message[0];
        return nicks is { Length: > 0 }
            ? [Ask(QueryKind.Whois, [.. nicks.Split(',', StringSplitOptions.RemoveEmptyEntries)])]
            : [Reply("431 :No nickname given")];
    }

    private ReceivedLine Topic(IrcMessage message)
    {
        if (message[0] is not { Length: > 0 } channel)
        {
            return Reply("461 TOPIC :Not enough parameters");
        }

        return !door.IsChannel(channel) ? Reply($"403 {channel} :No such channel")
            : message.Params.Length > 1 ? Reply($"482 {door.Channel} :You're not channel operator")
            : Reply($"331 {door.Channel} :No topic is set");
    }

    // Channel modes are +nt and nobody is an operator; a user has +i at most (front-doors.md §1.8).
    private ReceivedLine Mode(IrcMessage message)
    {
        if (message[0] is not { Length: > 0 } target)
        {
            return Reply("461 MODE :Not enough parameters");
        }

        var modes = message[1];
        if (IrcDoorSettings.IsChannelName(target))
        {
            return !door.IsChannel(target) ? Reply($"403 {target} :No such channel")
                : modes is null ? Reply($"324 {door.Channel} +nt", $"329 {door.Channel} {door.Created.ToUnixTimeSeconds()}")
                : modes.TrimStart('+') == "b" && message.Params.Length == 2 ? Reply($"368 {door.Channel} :End of channel ban list")
                : Reply($"482 {door.Channel} :You're not channel operator");
        }

        if (!string.Equals(target, _nick, StringComparison.OrdinalIgnoreCase))
        {
            return Reply("502 :Can't change mode for other users");
        }

        return modes is null ? Reply("221 +i")
            : modes.Length > 1 && modes.All(c => c is '+' or '-' or 'i') ? Reply($"@self MODE $me :{modes}")
            : Reply("501 :Unknown MODE flag");
    }
}
