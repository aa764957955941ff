using System.Collections.Immutable;
using System.Globalization;
using RxChat.Core;

namespace RxChat.Irc;

/// <summary>
/// The writing half of one IRC connection (PROTOCOL.md, Doors, IRC door; front-doors.md §1 and §2.3): each line the
/// core sends, rendered as IRC messages of at most 512 bytes with <c>\r\n</c>. What the room says to everyone
/// (<see cref="SaidMessage"/>, <see cref="ArrivedMessage"/>, ...) is rendered once per line and shared by every IRC
/// client (<see cref="OutgoingLine.Rendered{T}"/>); what is for this client alone carries its nick. A chat line or
/// action of the client's own is not sent back to it (IRC clients show their own lines). A line without a meaning is
/// a <c>NOTICE</c> from the server, or <c>ERROR</c> when it is the connection's last. Used by one writer at a time.
/// </summary>
/// <param name="door">The door's settings.</param>
/// <param name="host">The client's own host, for its prefix before the room has told it who it is.</param>
internal sealed class IrcRenderer(IrcDoorSettings door, string host)
{
    /// <summary>
    /// Recipients one <c>PRIVMSG</c> or <c>NOTICE</c> may name, separated by commas: 4, as Ergo allows, advertised as
    /// <c>TARGMAX</c> in <c>005</c>; a message naming more is refused whole with <c>407</c>.
    /// </summary>
    public const int MaxTargets = 4;

    private static readonly string[] NoLines = [];

    private ConnectionId? _self;
    private string _user = "~user";

    /// <summary>The client's current nick; <c>*</c> before it has one.</summary>
    public string Nick { get; private set; } = "*";

    /// <summary>A line that ends the connection (<c>ERROR</c>) has been rendered.</summary>
    public bool Closed { get; private set; }

    /// <summary>The IRC lines, with their <c>\r\n</c>, for one line the core sent.</summary>
    public IReadOnlyList<OutgoingLine> Render(OutgoingLine line)
    {
        switch (line.Message)
        {
            case SaidMessage or ActedMessage when IsSelf(line.Message):
                return [];
            case SaidMessage or ActedMessage or ArrivedMessage or LeftMessage or RenamedMessage:
                if (line.Message is RenamedMessage renamed && IsSelf(renamed))
                {
                    Nick = renamed.NewName;
                }

                return line.Rendered(l => Encode(Shared(l.Message!)));
            default:
                // Replies quote what the client sent: never a control character or a line past 512 bytes back.
                var lines = RenderOwn(line).Select(l => Cut(IrcText.WithoutControls(l))).ToList();
                return Encode(lines, closing: Closed);
        }
    }

    /// <summary>An IRC line as the socket writes it, with <c>\r\n</c>; a closing line is never dropped.</summary>
    public static OutgoingLine Encode(string line, bool closing = false) => new(line, isClosing: closing, crlf: true);

    /// <summary>The <c>(N messages dropped)</c> notice, for the outbox (PROTOCOL.md, Limits and bad input).</summary>
    public OutgoingLine Dropped(long count) =>
        new($":{door.ServerName} NOTICE {Nick} :({count} messages dropped)", isClosing: false, isNotice: true, crlf: true);

    private static OutgoingLine[] Encode(IReadOnlyList<string> lines, bool closing = false) => [.. lines.Select(l => Encode(l, closing))];

    // What is for this client alone.
    private IReadOnlyList<string> RenderOwn(OutgoingLine line)
    {
        switch (line.Message)
        {
            case PrivateEchoMessage { Away: { } away } echo:
                return [Numeric("301", $"{echo.To} :{away}")];
            case PromptMessage or PrivateEchoMessage:
                return NoLines;
            case WelcomeMessage welcome:
                _self = welcome.Self.Id;
                Nick = welcome.Self.Name;
                _user = welcome.Self.User;
                return Welcome(welcome);
            case EnteredMessage entered:
                return [$"{Prefix(entered.Self)} JOIN {door.Channel}", .. Names(entered.Members)];
            case PrivateMessage p:
                var told = $"{Prefix(p.From)} {(p.Notice ? "NOTICE" : "PRIVMSG")} {p.To} :";
                return [.. IrcText.Split(p.Text, Budget(told)).Select(piece => told + piece)];
            case ErrorMessage error:
                return Error(error, line.Text);
            case AnswerMessage answer:
                return Answer(answer);
            case EchoMessage echo:
                return [.. echo.Lines.Select(Echo)];
            default:
                if (line.IsClosing)
                {
                    Closed = true;
                    return [$"ERROR :{line.Text}"];
                }

                return Notice(line.Text);
        }
    }

    /// <summary>The client's last line when the connection ends without one (after <c>QUIT</c>, say).</summary>
    /// <param name="quitWords">The words of its <c>QUIT</c>, if it sent one.</param>
    public string Farewell(string? quitWords) =>
        $"ERROR :Closing Link: {host} ({(quitWords is null ? "Connection closed" : quitWords.Length == 0 ? "Quit" : $"Quit: {quitWords}")})";

    private static string Realname(Door door) => door switch
    {
        Door.Irc => "IRC user",
        Door.Web => "web user",
        _ => "netcat user",
    };

    // A host as a parameter: one starting with ':' (an IPv6 address) would read as the trailing parameter.
    private static string HostParam(string host) => host.StartsWith(':') ? "0" + host : host;

    private static string Prefix(Member member) => $":{member.Name}!{member.User}@{member.Host}";

    // The bytes a line may hold after its fixed part, within 512 with \r\n.
    private static int Budget(string fixedPart, int extra = 0) => IrcText.MaxLine - 2 - IrcText.Bytes(fixedPart) - extra;

    private static string LeftWhy(LeftMessage left) => left.Reason switch
    {
        DisconnectReason.Quit => string.IsNullOrEmpty(left.Words) ? "Quit" : $"Quit: {left.Words}",
        DisconnectReason.EndOfStream => "Connection closed",
        DisconnectReason.Reset => "Connection reset",
        DisconnectReason.Idle => "Ping timeout",
        DisconnectReason.SlowConsumer => "Slow consumer",
        DisconnectReason.LostContact => "Lost contact with the room",
        DisconnectReason.Shutdown => "Server shutting down",
        var reason => reason.ToString()!,
    };

    private bool IsSelf(ChatMessage? message) => message switch
    {
        SaidMessage said => said.From.Id == _self,
        ActedMessage acted => acted.From.Id == _self,
        RenamedMessage renamed => renamed.Who.Id == _self,
        _ => false,
    };

    // What every IRC client of the room receives alike.
    private string[] Shared(ChatMessage message) => message switch
    {
        SaidMessage said => Said(said),
        ActedMessage acted => [.. IrcText.Split(acted.Action, Budget($"{Prefix(acted.From)} PRIVMSG {door.Channel} :", "\u0001ACTION \u0001".Length))
            .Select(piece => $"{Prefix(acted.From)} PRIVMSG {door.Channel} :\u0001ACTION {piece}\u0001")],
        ArrivedMessage arrived => [$"{Prefix(arrived.Who)} JOIN {door.Channel}"],
        LeftMessage { Reason: null } part => [Cut(part.Words is null ? $"{Prefix(part.Who)} PART {door.Channel}" : $"{Prefix(part.Who)} PART {door.Channel} :{part.Words}")],
        LeftMessage quit => [Cut($"{Prefix(quit.Who)} QUIT :{LeftWhy(quit)}")],
        RenamedMessage renamed => [$"{Prefix(renamed.Who)} NICK :{renamed.NewName}"],
        _ => NoLines,
    };

    private string[] Said(SaidMessage said)
    {
        var start = $"{Prefix(said.From)} {(said.Notice ? "NOTICE" : "PRIVMSG")} {door.Channel} :";
        return [.. IrcText.Split(said.Text, Budget(start)).Select(piece => start + piece)];
    }

    private string Numeric(string code, string rest) => $":{door.ServerName} {code} {Nick} {rest}";

    private IReadOnlyList<string> Notice(string text) =>
        [.. IrcText.Split(text, Budget($":{door.ServerName} NOTICE {Nick} :")).Select(piece => $":{door.ServerName} NOTICE {Nick} :{piece}")];

    // The welcome burst (modern.ircdocs.horse, Connection Registration; front-doors.md §1.3).
    private string[] Welcome(WelcomeMessage welcome) =>
    [
        Numeric("001", $":Welcome to the RxChat IRC Network, {Nick}!{_user}@{welcome.Self.Host}"),
        Numeric("002", $":Your host is {door.ServerName}, running version {IrcDoorSettings.Version}"),
        Numeric("003", $":This server was created {door.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}"),
        Numeric("004", $"{door.ServerName} {IrcDoorSettings.Version} i bnt"),
        Numeric("005", $"CASEMAPPING=ascii CHANTYPES=# CHANLIMIT=#:1 CHANNELLEN=50 NICKLEN={ClientNames.MaxLength} PREFIX=(ov)@+ CHANMODES=b,,,nt NETWORK=RxChat LINELEN={IrcText.MaxLine} TARGMAX=JOIN:1,NAMES:1,PRIVMSG:{MaxTargets},NOTICE:{MaxTargets},WHOIS:1 :are supported by this server"),
        Numeric("251", $":There are {welcome.Clients} users and 0 invisible on 1 servers"),
        Numeric("422", ":MOTD File is missing"),
    ];

    // 353 lines as long as fit, then 366.
    private IEnumerable<string> Names(IEnumerable<Member> members)
    {
        var start = Numeric("353", $"= {door.Channel} :");
        var budget = Budget(start);
        var names = new List<string>();
        var bytes = 0;
        foreach (var member in members)
        {
            var size = IrcText.Bytes(member.Name) + (names.Count > 0 ? 1 : 0);
            if (names.Count > 0 && bytes + size > budget)
            {
                yield return start + string.Join(' ', names);
                names.Clear();
                size = IrcText.Bytes(member.Name);
                bytes = 0;
            }

            names.Add(member.Name);
            bytes += size;
        }

        if (names.Count > 0)
        {
            yield return start + string.Join(' ', names);
        }

        yield return Numeric("366", $"{door.Channel} :End of /NAMES list");
    }

    private IReadOnlyList<string> Error(ErrorMessage error, string text) => error.Kind switch
    {
        ErrorKind.NameInvalid => [Numeric("432", $"{error.Subject} :Erroneous nickname ({text["error: ".Length..]})")],
        ErrorKind.NameTaken => [Numeric("433", $"{error.Subject} :Nickname is already in use")],
        ErrorKind.SameName => NoLines,
        ErrorKind.NoSuchClient => [Numeric("401", $"{error.Subject} :No such nick/channel")],
        ErrorKind.UnknownCommand => [Numeric("421", $"{error.Subject} :Unknown command")],
        ErrorKind.LineTooLong => [Numeric("417", ":Input line was too long")],
        ErrorKind.NotInRoom => [Numeric("404", $"{door.Channel} :Cannot send to channel")],
        ErrorKind.NotOnChannel => [Numeric("442", $"{door.Channel} :You're not on that channel")],
        ErrorKind.NotRegistered => [Numeric("451", ":You have not registered")],
        ErrorKind.ServerFull or ErrorKind.RoomUnavailable => Close(text),
        _ => Notice(text),
    };

    private string[] Close(string text)
    {
        Closed = true;
        return [$"ERROR :{text}"];
    }

    private IReadOnlyList<string> Answer(AnswerMessage answer)
    {
        var asked = answer.Query.Names;
        var byName = answer.Members.ToDictionary(m => m.Name, ClientNames.Comparer);
        switch (answer.Query.Kind)
        {
            case QueryKind.Names when asked.IsEmpty || door.IsChannel(asked[0]):
                return [.. Names(answer.Members.Where(m => m.InRoom))];
            case QueryKind.Names:
                return [Numeric("366", $"{asked[0]} :End of /NAMES list")];
            case QueryKind.Who:
            {
                var mask = asked.IsEmpty ? "*" : asked[0];
                var (channel, who) = door.IsChannel(mask) ? (door.Channel, answer.Members.Where(m => m.InRoom))
                    : mask is "*" or "0" ? ("*", answer.Members)
                    : ("*", answer.Members.Where(m => ClientNames.Comparer.Equals(m.Name, mask)));
                return [.. who.Select(m => Numeric("352", $"{channel} {m.User} {HostParam(m.Host)} {door.ServerName} {m.Name} {(m.Away is null ? "H" : "G")} :0 {Realname(m.Door)}")), Numeric("315", $"{mask} :End of WHO list")];
            }

            case QueryKind.Whois:
                return [.. asked.SelectMany(name => byName.TryGetValue(name, out var m)
                    ? (IEnumerable<string>)[
                        Numeric("311", $"{m.Name} {m.User} {HostParam(m.Host)} * :{Realname(m.Door)}"),
                        Numeric("312", $"{m.Name} {door.ServerName} :RxChat"),
                        .. m.InRoom ? [Numeric("319", $"{m.Name} :{door.Channel}")] : NoLines,
                        .. m.Away is { } away ? [Numeric("301", $"{m.Name} :{away}")] : NoLines,
                        Numeric("318", $"{name} :End of /WHOIS list")]
                    : [Numeric("401", $"{name} :No such nick/channel"), Numeric("318", $"{name} :End of /WHOIS list")])];
            case QueryKind.Ison:
                return [Numeric("303", $":{string.Join(' ', asked.Where(byName.ContainsKey).Select(n => byName[n].Name))}")];
            case QueryKind.Userhost:
                return [Numeric("302", $":{string.Join(' ', asked.Where(byName.ContainsKey).Select(n => byName[n]).Select(m => $"{m.Name}={(m.Away is null ? '+' : '-')}{m.User}@{m.Host}"))}")];
            case QueryKind.List:
                return [Numeric("321", "Channel :Users  Name"), Numeric("322", $"{door.Channel} {answer.Members.Count(m => m.InRoom)} :"), Numeric("323", ":End of /LIST")];
            default:
                return
                [
                    Numeric("251", $":There are {answer.Clients} users and 0 invisible on 1 servers"),
                    Numeric("254", "1 :channels formed"),
                    Numeric("255", $":I have {answer.Clients} clients and 1 servers"),
                ];
        }
    }

    private string Echo(string template)
    {
        var line = template.Replace("$me", Nick, StringComparison.Ordinal);
        return line.Length > 4 && char.IsAsciiDigit(line[0]) && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2]) && line[3] == ' '
            ? Numeric(line[..3], line[4..])
            : line.StartsWith("@self ", StringComparison.Ordinal) ? $":{Nick}!{_user}@{host} {line["@self ".Length..]}"
            : $":{door.ServerName} {line}";
    }

    // A line that must stay one line: cut at 510 bytes, at a character boundary.
    private static string Cut(string line) => IrcText.Truncate(line, IrcText.MaxLine - 2);
}
