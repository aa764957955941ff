using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The broadcaster's fold: <see cref="Apply"/> takes the room's state and one entry of the room's log and returns the
/// next state and what to send. Total and pure: no I/O, no clock (time is the entry's), no throwing. Every node
/// of a room folds the same entries alike; what it sends goes to its own connections only (the ones with an
/// inbox), and it reports only their events. The texts are PROTOCOL.md's.
/// </summary>
internal static class ChatRules
{
    public const string Prompt = "What is your name?";

    private static readonly OutgoingLine PromptLine = new(Prompt) { Message = new PromptMessage() };
    private static readonly OutgoingLine ShuttingDown = new("Server shutting down", isClosing: true);
    private static readonly OutgoingLine Idle = new("Disconnected: idle", isClosing: true);
    private static readonly OutgoingLine LostContact = new("Disconnected: lost contact with the room", isClosing: true);
    private static readonly OutgoingLine RoomUnavailable = new("error: room unavailable") { Message = new ErrorMessage(ErrorKind.RoomUnavailable) };
    private static readonly OutgoingLine ServerFull = new("error: server full") { Message = new ErrorMessage(ErrorKind.ServerFull) };

    public static ChatStep Apply(ChatState state, RoomEntry entry) => entry.Event switch
    {
        ClientWired wired when state.Stopping => Refuse(state, wired, wired.Refused ?? DisconnectReason.Shutdown),
        _ when state.Stopping => ChatStep.Unchanged(state),
        _ when entry.Local => ApplyLocal(state, entry.Event),

        // A fenced node's entries are ignored; a connection this node took just before it learned it was fenced is
        // turned away rather than left waiting.
        ClientWired wired when state.Liveness.Fenced.Contains(entry.Node) => Refuse(state, wired, DisconnectReason.RoomUnavailable),
        _ when state.Liveness.Fenced.Contains(entry.Node) => ChatStep.Unchanged(state),
        _ => Tick(state, entry).Then(next => ApplyRoom(next, entry)),
    };

    // This node's own events, placed in its order but seen by no other node.
    private static ChatStep ApplyLocal(ChatState state, ChatEvent e) => e switch
    {
        ClientWired wired => Refuse(state, wired, wired.Refused ?? DisconnectReason.ServerFull),
        LineRefused refused when state.Connections.TryGetValue(refused.Id, out var client) => Reply(state, client, Error(refused.Error, refused.Kind)),
        ServerStopping => Stop(state),
        RoomLost => Lose(state),
        ContactLost => CutOff(state),
        RoomLoaded loaded => new ChatStep(loaded.Room, []),
        _ => ChatStep.Unchanged(state),
    };

    private static ChatStep ApplyRoom(ChatState state, RoomEntry entry) => entry.Event switch
    {
        ClientWired wired => Arrive(state, new Client(wired.Id, wired.Arrival.RemoteAddress, wired.Inbox) { Door = wired.Arrival.Door, User = Client.DoorUser(wired.Arrival.Door) }),
        ClientConnected connected => Arrive(state, new Client(connected.Id, connected.RemoteAddress, Inbox: null) { Door = connected.Door, User = Client.DoorUser(connected.Door) }),
        LineReceived line => Receive(state, line),
        ClientLeft left => Leave(state, left),

        // The log takes nothing from a node after its stop, or after it is retired: no need to fence it.
        NodeStopped => Down(state, entry.Node, stopped: true, fence: false),
        NodeRetired retired when state.Liveness.Nodes.ContainsKey(retired.Node) => Down(state, retired.Node, stopped: false, fence: false),
        NodeRetired retired => new ChatStep(state with { Liveness = state.Liveness.Retired(retired.Node) }, []),
        _ => ChatStep.Unchanged(state),
    };

    // The room's clock and the nodes' liveness, in log time (NodeLiveness): the entry's node is alive, and a node
    // silent past the node timeout is gone here, at this point of the order, on every node.
    private static ChatStep Tick(ChatState state, RoomEntry entry)
    {
        var (liveness, joined, silent) = state.Liveness.Tick(entry.Node, entry.Time, state.Settings);
        var step = new ChatStep(state with { Seq = entry.Seq, Liveness = liveness }, []);
        if (joined)
        {
            step = step.Reporting(new NodeJoined(entry.Node));
        }

        foreach (var node in silent)
        {
            step = step.Then(next => Down(next, node, stopped: false, fence: true));
        }

        return step;
    }

    // A node is gone (stopped, retired, or silent past the node timeout): its clients leave in their order of arrival,
    // each announced once to this node's clients, and their names are free again; with fence, its later entries are
    // ignored. When the node is this one, its connections are told that it lost contact with the room, and are closed.
    private static ChatStep Down(ChatState state, long node, bool stopped, bool fence)
    {
        var next = state with { Liveness = state.Liveness.Gone(node, fence) };
        var step = Close(next, next.Connections.Values.Where(c => c.Id.Node == node));
        return step.Reporting(new NodeGone(node, stopped));
    }

    // Connections leave the room at once, in their order of arrival: this node's are told that it lost contact with
    // the room and are closed; every one of another node's that was in the room is announced gone to this node's clients.
    private static ChatStep Close(ChatState state, IEnumerable<Client> leaving)
    {
        var gone = leaving.OrderBy(c => c.InRoom ? c.Arrival : long.MaxValue).ThenBy(c => c.Id.Node).ThenBy(c => c.Id.Value).ToList();
        var deliveries = ImmutableArray.CreateBuilder<Delivery>();
        var reports = ImmutableArray.CreateBuilder<ServerEvent>();
        var next = state;
        foreach (var client in gone)
        {
            next = Forget(next, client);
            if (client.IsLocal)
            {
                deliveries.Add(new Send(client, LostContact));
                deliveries.Add(new Close(client));
                reports.Add(new ConnectionClosed(client.Id, client.Name, DisconnectReason.LostContact));
            }
            else if (client.InRoom)
            {
                deliveries.Add(new Broadcast(Left(client, DisconnectReason.LostContact)));
            }
        }

        return new ChatStep(next, deliveries.DrainToImmutable(), reports.DrainToImmutable());
    }

    private static ChatStep Arrive(ChatState state, Client client)
    {
        if (state.Connections.ContainsKey(client.Id))
        {
            return ChatStep.Unchanged(state);
        }

        var next = state with { Connections = state.Connections.Add(client.Id, client) };
        return client.IsLocal
            ? new ChatStep(next, [new Send(client, PromptLine)]).Reporting(new ConnectionOpened(client.Id, client.RemoteAddress))
            : new ChatStep(next, []);
    }

    // A connection that never entered the room: told why (a connection that left while it waited is told nothing),
    // closed, and reported as opened and closed.
    private static ChatStep Refuse(ChatState state, ClientWired e, DisconnectReason reason)
    {
        var client = new Client(e.Id, e.Arrival.RemoteAddress, e.Inbox) { Door = e.Arrival.Door };
        OutgoingLine? line = reason switch
        {
            DisconnectReason.Shutdown => ShuttingDown,
            DisconnectReason.RoomUnavailable => RoomUnavailable,
            DisconnectReason.ServerFull => ServerFull,
            _ => null,
        };
        Delivery[] deliveries = line is null ? [new Close(client)] : [new Send(client, line), new Close(client)];
        return new ChatStep(state, [.. deliveries])
            .Reporting(new ConnectionOpened(e.Id, client.RemoteAddress), new ConnectionClosed(e.Id, null, reason));
    }

    // Everyone here gets the closing line after what is already queued for them, then is closed; nobody hears of
    // anybody leaving. The room's state stays as it was (the room hears of the stop from its log): nothing more is
    // folded here.
    private static ChatStep Stop(ChatState state)
    {
        var local = state.Connections.Values.Where(c => c.IsLocal).ToList();
        return new(
            state with { Stopping = true },
            [.. local.SelectMany(c => new Delivery[] { new Send(c, ShuttingDown), new Close(c) })],
            [.. local.Select(c => new ConnectionClosed(c.Id, c.Name, DisconnectReason.Shutdown))]);
    }

    // The room is lost to this node: its connections are told and closed, and it serves a new room from here.
    private static ChatStep Lose(ChatState state)
    {
        var local = state.Connections.Values.Where(c => c.IsLocal).ToList();
        return new(
            ChatState.Empty(state.Settings),
            [.. local.SelectMany(c => new Delivery[] { new Send(c, LostContact), new Close(c) })],
            [.. local.Select(c => (ServerEvent)new ConnectionClosed(c.Id, c.Name, DisconnectReason.LostContact)), new RoomRestarted()]);
    }

    // This node could not reach the room for the node timeout: the room has counted its clients gone, so its
    // connections are told and closed now. What it knows of the others stays until it joins the room afresh.
    private static ChatStep CutOff(ChatState state) => Close(state, state.Connections.Values.Where(c => c.IsLocal));

    private static ChatStep Receive(ChatState state, LineReceived e)
    {
        if (!state.Connections.TryGetValue(e.Id, out var client) || e.Line.IsTooLong)
        {
            return ChatStep.Unchanged(state);
        }

        var text = Sanitiser.Sanitise(e.Line.Text);
        return e.Line.Command switch
        {
            Quietly => AsNotice(Receive(state, e with { Line = e.Line with { Command = null } }), client),
            { } command => DoorRules.Run(state, client, command, text),
            _ when client.Door == Door.Irc && !client.IsNamed => Reply(state, client, Error("error: register first (NICK and USER)", ErrorKind.NotRegistered)),
            _ when client.IsNamed => Chat(state, client, text),
            _ => Enter(state, client, text),
        };
    }

    // A line its door marked quiet (IRC's NOTICE): no refusal goes back to the sender, and what it says is marked a
    // notice, which a door may show as one (the line door shows it as any line).
    private static ChatStep AsNotice(ChatStep step, Client sender) => step with
    {
        Deliveries = [.. step.Deliveries
            .Where(d => d is not Send { Line.Message: ErrorMessage } send || send.To.Id != sender.Id)
            .Select(d => d switch
            {
                Broadcast { Line.Message: SaidMessage said } b => new Broadcast(new OutgoingLine(b.Line.Text) { Message = said with { Notice = true } }),
                Send { Line.Message: PrivateMessage told } s => new Send(s.To, new OutgoingLine(s.Line.Text) { Message = told with { Notice = true } }),
                _ => d,
            })],
    };

    /// <summary>An error line for one client, with what went wrong, for the doors that say it in their own terms.</summary>
    public static OutgoingLine Error(string text, ErrorKind kind, string? subject = null) => new(text) { Message = new ErrorMessage(kind, subject) };

    /// <summary>An error line for the client; at the line and web doors the prompt follows while it is entering.</summary>
    public static ChatStep Reply(ChatState state, Client client, OutgoingLine error) =>
        new(state, client.IsNamed || client.Door == Door.Irc ? [new Send(client, error)] : [new Send(client, error), new Send(client, PromptLine)]);

    /// <summary>
    /// Checks a name for a connection that asks for it: null when it is valid and free (or already its own, in
    /// another case), else the error line that says why.
    /// </summary>
    public static OutgoingLine? Refusal(ChatState state, Client client, string name, bool validate = true)
    {
        if (validate && ClientNames.Validate(name) is { } error)
        {
            return Error(error, ErrorKind.NameInvalid, name);
        }

        return state.Names.TryGetValue(name, out var holder) && holder != client.Id
            ? Error($"error: name '{name}' is taken", ErrorKind.NameTaken, name)
            : null;
    }

    private static ChatStep Enter(ChatState state, Client client, string text)
    {
        // An empty answer names the client by its address, which is not a valid name but cannot be mistaken for one.
        var name = text.Trim();
        var refusal = name.Length == 0 ? Refusal(state, client, name = client.RemoteAddress, validate: false) : Refusal(state, client, name);
        if (refusal is not null)
        {
            return Reply(state, client, refusal);
        }

        var (next, named) = Name(state, client, name);
        var step = new ChatStep(next, [new Send(named, Welcome(next, named))]).Then(after => EnterRoom(after, named));
        return named.IsLocal ? step.Reporting(new ClientEntered(client.Id, name)) : step;
    }

    /// <summary><c>You are NAME</c> (IRC: the welcome burst).</summary>
    public static OutgoingLine Welcome(ChatState state, Client named) =>
        new($"You are {named.Name}") { Message = new WelcomeMessage(Member.Of(named), state.Names.Count) };

    /// <summary>The connection holds <paramref name="name"/> (checked, free), not yet in the room.</summary>
    public static (ChatState State, Client Named) Name(ChatState state, Client client, string name)
    {
        var named = client with { Name = name };
        return (state with { Connections = state.Connections.SetItem(client.Id, named), Names = state.Names.Add(name, client.Id) }, named);
    }

    /// <summary>
    /// A named client enters the room, last in the arrival order: the others hear of it, then it receives the room's
    /// clients (<c>Current clients: ...</c>, the newcomer last) and follows the broadcast (PROTOCOL.md, Entering).
    /// </summary>
    public static ChatStep EnterRoom(ChatState state, Client client)
    {
        var entered = client with { Arrival = state.NextArrival, InRoom = true };
        var next = state with
        {
            Connections = state.Connections.SetItem(client.Id, entered),
            Roster = state.Roster.Add(entered.Arrival, client.Id),
            NextArrival = state.NextArrival + 1,
        };

        // The others hear of the newcomer before it joins the broadcast, so it never hears of itself.
        return new ChatStep(next,
        [
            new Broadcast(new($"{entered.Name} has arrived") { Message = new ArrivedMessage(Member.Of(entered)) }),
            new Send(entered, new($"Current clients: {string.Join(", ", next.RosterNames)}") { Message = new EnteredMessage(Member.Of(entered), [.. next.RosterMembers]) }),
            new Join(entered),
        ]);
    }

    /// <summary>
    /// The answer to a door's question: <c>Current clients: A, B</c> as text, with every named client (the room's
    /// first, in order of arrival, then those not in it, by name).
    /// </summary>
    public static OutgoingLine Answer(ChatState state, DoorQuery query)
    {
        var members = state.RosterMembers.Concat(
            state.Names.Values.Select(id => state.Connections[id]).Where(c => !c.InRoom).OrderBy(c => c.Name, StringComparer.Ordinal).Select(Member.Of));
        return new($"Current clients: {string.Join(", ", state.RosterNames)}") { Message = new AnswerMessage(query, [.. members], state.Names.Count) };
    }

    /// <summary><c>NAME has left</c>, with why (and, at a door that shows it, the words it left with).</summary>
    public static OutgoingLine Left(Client client, DisconnectReason? reason, string? words = null) =>
        new($"{client.Name} has left") { Message = new LeftMessage(Member.Of(client), reason, words) };

    // PROTOCOL.md, Chatting and Commands: a line starting with '/' is a command, but "//TEXT" says "/TEXT".
    private static ChatStep Chat(ChatState state, Client client, string text) => text switch
    {
        "" => ChatStep.Unchanged(state),
        ['/', '/', ..] => Say(state, client, text[1..]),
        ['/', ..] => Commands.Run(state, client, text),
        _ => Say(state, client, text),
    };

    private static ChatStep Say(ChatState state, Client client, string text) =>
        Broadcast(state, client, $"{client.Name}: {text}", new SaidMessage(Member.Of(client), text), new MessageSent(client.Id, client.Name!, text, MessageKind.Chat));

    /// <summary>
    /// A chat line to everyone, kept in the room's history (PROTOCOL.md, Commands, <c>/history</c>); a client not in the
    /// room (an IRC client that has not joined the channel) is told it cannot send there.
    /// </summary>
    public static ChatStep Broadcast(ChatState state, Client sender, string line, ChatMessage meaning, MessageSent message)
    {
        if (!sender.InRoom)
        {
            return Reply(state, sender, Error("error: join the room first", ErrorKind.NotInRoom));
        }

        var broadcast = new OutgoingLine(line) { Message = meaning };
        var step = new ChatStep(Remember(state, broadcast), [new Broadcast(broadcast)]);
        return sender.IsLocal ? step.Reporting(message) : step;
    }

    private static ChatState Remember(ChatState state, OutgoingLine line)
    {
        var size = state.Settings.HistoryKept;
        if (size <= 0)
        {
            return state;
        }

        var history = state.History.Enqueue(new HistoryLine(state.Time ?? default, line));
        var count = state.HistoryCount + 1;
        for (; count > size; count--)
        {
            history = history.Dequeue();
        }

        return state with { History = history, HistoryCount = count };
    }

    /// <summary>A connection leaves: gone from the client set, closed, and announced to the others if it was in the room.</summary>
    /// <param name="state">The room.</param>
    /// <param name="e">The departure.</param>
    /// <param name="words">What it said as it left, for the doors that show it (IRC's <c>QUIT :words</c>).</param>
    public static ChatStep Leave(ChatState state, ClientLeft e, string? words = null)
    {
        if (!state.Connections.TryGetValue(e.Id, out var client))
        {
            return ChatStep.Unchanged(state);
        }

        var next = Forget(state, client);
        var deliveries = ImmutableArray.CreateBuilder<Delivery>(3);
        if (e.Reason == DisconnectReason.Idle)
        {
            deliveries.Add(new Send(client, Idle));
        }

        // Closed first: the leaver is out of the broadcast before its departure is announced.
        deliveries.Add(new Close(client));
        if (client.InRoom)
        {
            deliveries.Add(new Broadcast(Left(client, e.Reason, words)));
        }

        var step = new ChatStep(next, deliveries.DrainToImmutable());
        return client.IsLocal ? step.Reporting(new ConnectionClosed(client.Id, client.Name, e.Reason)) : step;
    }

    // The connection is gone: its name and its place in the arrival order too.
    private static ChatState Forget(ChatState state, Client client) => client.IsNamed
        ? state with
        {
            Connections = state.Connections.Remove(client.Id),
            Names = state.Names.Remove(client.Name!),
            Roster = client.InRoom ? state.Roster.Remove(client.Arrival) : state.Roster,
        }
        : state with { Connections = state.Connections.Remove(client.Id) };

    /// <summary>
    /// A client leaves the room and stays connected with its name (IRC's <c>PART</c>): it leaves the broadcast, the
    /// others hear that it left, and so does it (a door that shows its own departure).
    /// </summary>
    public static ChatStep LeaveRoom(ChatState state, Client client, string? words)
    {
        var left = client with { InRoom = false, Arrival = 0 };
        var next = state with { Connections = state.Connections.SetItem(client.Id, left), Roster = state.Roster.Remove(client.Arrival) };
        var line = Left(client, reason: null, words);
        return new ChatStep(next, [new Part(left), new Broadcast(line), new Send(left, line)]);
    }
}
