using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>
/// The room's events and state as the log in Redis keeps them: an event is one line of JSON (<c>{"k":"l","c":3,
/// "t":"hi"}</c>), without its node, which the entry carries; a snapshot is the room's part of the fold's state (no
/// inbox: in a node that loads it every client is another node's). <see cref="ReadEvent"/> and
/// <see cref="ReadSnapshot"/> throw <see cref="FormatException"/> for what they cannot read.
/// </summary>
internal static class RoomCodec
{
    /// <summary>The event as one line of JSON, or null for an event that never goes to the room.</summary>
    public static string? Write(ChatEvent e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            switch (e)
            {
                case ClientWired wired:
                    json.WriteString("k", "c");
                    json.WriteNumber("c", wired.Id.Value);
                    json.WriteString("a", wired.Arrival.RemoteAddress);
                    if (wired.Arrival.Door != Door.Line)
                    {
                        json.WriteString("d", wired.Arrival.Door.ToString());
                    }

                    break;
                case LineReceived line:
                    json.WriteString("k", "l");
                    json.WriteNumber("c", line.Id.Value);
                    json.WriteString("t", line.Line.Text);
                    if (line.Line.Command is { } command)
                    {
                        WriteCommand(json, command);
                    }

                    break;
                case ClientLeft left:
                    json.WriteString("k", "x");
                    json.WriteNumber("c", left.Id.Value);
                    json.WriteString("r", left.Reason.ToString());
                    break;
                case NodeHeartbeat:
                    json.WriteString("k", "h");
                    break;
                case NodeStopped:
                    json.WriteString("k", "s");
                    break;
                case NodeRetired retired:
                    json.WriteString("k", "r");
                    json.WriteNumber("x", retired.Node);
                    break;
                default:
                    return null;
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Reads an event from the room's log, as this node's fold takes it: a connection's id gets the entry's
    /// <paramref name="node"/>.
    /// </summary>
    public static ChatEvent ReadEvent(string payload, long node)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            var id = root.TryGetProperty("c", out var c) ? new ConnectionId(c.GetInt64()) { Node = node } : default;
            return root.GetProperty("k").GetString() switch
            {
                "c" => new ClientConnected(id, root.GetProperty("a").GetString()!, root.TryGetProperty("d", out var d) ? Known<Door>(d.GetString()!) : Door.Line),
                "l" => new LineReceived(id, new ReceivedLine(root.GetProperty("t").GetString()!) { Command = root.TryGetProperty("o", out var o) ? ReadCommand(o.GetString(), root) : null }),
                "x" => new ClientLeft(id, Known<DisconnectReason>(root.GetProperty("r").GetString()!)),
                "h" => new NodeHeartbeat(),
                "s" => new NodeStopped(),
                "r" => new NodeRetired(root.GetProperty("x").GetInt64()),
                var kind => throw new FormatException($"unknown room event '{kind}'"),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new FormatException($"unreadable room event: {e.Message}", e);
        }
    }

    // A door's command beside a line's text: "o" says which, and its arguments follow.
    private static void WriteCommand(Utf8JsonWriter json, DoorCommand command)
    {
        switch (command)
        {
            case Register register:
                json.WriteString("o", "r");
                json.WriteString("u", register.User);
                break;
            case JoinRoom:
                json.WriteString("o", "j");
                break;
            case PartRoom part:
                json.WriteString("o", "p");
                WriteWords(json, part.Words);
                break;
            case QuitRoom quit:
                json.WriteString("o", "q");
                WriteWords(json, quit.Words);
                break;
            case Ask ask:
                json.WriteString("o", "a");
                json.WriteString("q", ask.Query.Kind.ToString());
                WriteStrings(json, "n", ask.Query.Names);
                break;
            case Quietly:
                json.WriteString("o", "n");
                break;
            case SetAway away:
                json.WriteString("o", "w");
                WriteWords(json, away.Message);
                break;
            case Echo echo:
                json.WriteString("o", "e");
                WriteStrings(json, "e", echo.Lines);
                break;
        }
    }

    private static void WriteWords(Utf8JsonWriter json, string? words)
    {
        if (words is not null)
        {
            json.WriteString("w", words);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, ImmutableArray<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static DoorCommand ReadCommand(string? kind, JsonElement root) => kind switch
    {
        "r" => new Register(root.GetProperty("u").GetString()!),
        "j" => new JoinRoom(),
        "p" => new PartRoom(Words(root)),
        "q" => new QuitRoom(Words(root)),
        "a" => new Ask(new DoorQuery(Known<QueryKind>(root.GetProperty("q").GetString()!), Strings(root, "n"))),
        "e" => new Echo(Strings(root, "e")),
        "n" => new Quietly(),
        "w" => new SetAway(Words(root)),
        _ => throw new FormatException($"unknown door command '{kind}'"),
    };

    // A name of one of the enum's values (never a number, which would read as any value).
    private static T Known<T>(string? name)
        where T : struct, Enum =>
        name is not null && !char.IsAsciiDigit(name.FirstOrDefault()) && name.FirstOrDefault() != '-' && Enum.TryParse<T>(name, out var value) && Enum.IsDefined(value)
            ? value
            : throw new FormatException($"unknown {typeof(T).Name} '{name}'");

    private static string? Words(JsonElement root) => root.TryGetProperty("w", out var w) ? w.GetString() : null;

    private static ImmutableArray<string> Strings(JsonElement root, string name) =>
        [.. root.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>The room's part of <paramref name="state"/>, as JSON.</summary>
    public static string WriteSnapshot(ChatState state)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", state.Seq);
            json.WriteNumber("time", state.Time?.UtcTicks ?? 0);
            json.WriteNumber("next", state.NextArrival);
            json.WriteStartArray("connections");
            foreach (var client in state.Connections.Values.OrderBy(c => c.Id.Node).ThenBy(c => c.Id.Value))
            {
                json.WriteStartObject();
                json.WriteNumber("node", client.Id.Node);
                json.WriteNumber("c", client.Id.Value);
                json.WriteString("a", client.RemoteAddress);
                if (client.Door != Door.Line)
                {
                    json.WriteString("d", client.Door.ToString());
                    json.WriteString("u", client.User);
                }

                if (client.Name is not null)
                {
                    json.WriteString("name", client.Name);
                    json.WriteNumber("arrival", client.Arrival);
                    json.WriteBoolean("in", client.InRoom);
                }

                if (client.Away is not null)
                {
                    json.WriteString("away", client.Away);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("history");
            foreach (var line in state.History)
            {
                json.WriteStartObject();
                json.WriteNumber("at", line.At.UtcTicks);
                json.WriteString("t", line.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("nodes");
            foreach (var (node, seen) in state.Liveness.Nodes)
            {
                json.WriteNumber(node.ToString(System.Globalization.CultureInfo.InvariantCulture), seen.UtcTicks);
            }

            json.WriteEndObject();
            json.WriteStartArray("fenced");
            foreach (var node in state.Liveness.Fenced.Order())
            {
                json.WriteNumberValue(node);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The room's state from a snapshot, for a node that joins: every client in it is another node's.</summary>
    public static ChatState ReadSnapshot(string snapshot, RoomSettings settings)
    {
        try
        {
            using var document = JsonDocument.Parse(snapshot);
            var root = document.RootElement;
            var state = ChatState.Empty(settings);
            var connections = ImmutableDictionary.CreateBuilder<ConnectionId, Client>();
            var names = ImmutableDictionary.CreateBuilder<string, ConnectionId>(ClientNames.Comparer);
            var roster = ImmutableSortedDictionary.CreateBuilder<long, ConnectionId>();
            foreach (var c in root.GetProperty("connections").EnumerateArray())
            {
                var id = new ConnectionId(c.GetProperty("c").GetInt64()) { Node = c.GetProperty("node").GetInt64() };
                var name = c.TryGetProperty("name", out var n) ? n.GetString() : null;
                var arrival = name is null ? 0 : c.GetProperty("arrival").GetInt64();
                var door = c.TryGetProperty("d", out var d) ? Known<Door>(d.GetString()!) : Door.Line;
                var inRoom = name is not null && (!c.TryGetProperty("in", out var i) || i.GetBoolean());
                connections.Add(id, new Client(id, c.GetProperty("a").GetString()!, Inbox: null, name, inRoom ? arrival : 0)
                {
                    Door = door,
                    User = c.TryGetProperty("u", out var u) ? u.GetString()! : Client.DoorUser(door),
                    InRoom = inRoom,
                    Away = c.TryGetProperty("away", out var away) ? away.GetString() : null,
                });
                if (name is not null)
                {
                    names.Add(name, id);
                }

                if (inRoom)
                {
                    roster.Add(arrival, id);
                }
            }

            // The room's lines, as many as the room keeps.
            var history = root.GetProperty("history").EnumerateArray()
                .Select(h => new HistoryLine(new DateTimeOffset(h.GetProperty("at").GetInt64(), TimeSpan.Zero), h.GetProperty("t").GetString()!))
                .ToList();
            history = history.Skip(Math.Max(0, history.Count - settings.HistoryKept)).ToList();
            var time = root.GetProperty("time").GetInt64();
            return state with
            {
                Connections = connections.ToImmutable(),
                Names = names.ToImmutable(),
                Roster = roster.ToImmutable(),
                NextArrival = root.GetProperty("next").GetInt64(),
                Seq = root.GetProperty("seq").GetInt64(),

                History = ImmutableQueue.CreateRange(history),
                HistoryCount = history.Count,
                Liveness = new NodeLiveness(
                    time == 0 ? null : new DateTimeOffset(time, TimeSpan.Zero),
                    ImmutableSortedDictionary.CreateRange(root.GetProperty("nodes").EnumerateObject()
                        .Select(p => KeyValuePair.Create(long.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), new DateTimeOffset(p.Value.GetInt64(), TimeSpan.Zero)))),
                    [.. root.GetProperty("fenced").EnumerateArray().Select(f => f.GetInt64())]),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new FormatException($"unreadable room snapshot: {e.Message}", e);
        }
    }
}
