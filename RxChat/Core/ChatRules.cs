using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The broadcaster's fold: <see cref="Apply"/> takes the client set and one event and returns the next client set
/// and what to send. Total and pure: no I/O, no clock, no throwing. The texts are PROTOCOL.md's.
/// </summary>
internal static class ChatRules
{
    public const string Prompt = "What is your name?";

    private static readonly OutgoingLine ShuttingDown = new("Server shutting down", isClosing: true);
    private static readonly OutgoingLine Idle = new("Disconnected: idle", isClosing: true);

    public static ChatStep Apply(ChatState state, ChatEvent e) => e switch
    {
        ClientWired wired when state.Stopping => Refuse(state, wired),
        _ when state.Stopping => ChatStep.Unchanged(state),
        ServerStopping => Stop(state),
        ClientWired wired => Arrive(state, wired),
        TimedLine line => Receive(state, line),
        ClientLeft left => Leave(state, left),
        _ => ChatStep.Unchanged(state),
    };

    private static ChatStep Arrive(ChatState state, ClientWired e)
    {
        var client = new Client(e.Id, e.Arrival.RemoteAddress, e.Inbox);
        if (state.Connections.ContainsKey(e.Id))
        {
            return ChatStep.Unchanged(state);
        }

        var opened = new ConnectionOpened(e.Id, client.RemoteAddress);
        if (state.Options.MaxClients > 0 && state.Connections.Count >= state.Options.MaxClients)
        {
            return new ChatStep(state, [new Send(client, new("error: server full")), new Close(client)])
                .Reporting(opened, new ConnectionClosed(e.Id, null, DisconnectReason.ServerFull));
        }

        return new ChatStep(state with { Connections = state.Connections.Add(e.Id, client) }, [new Send(client, new(Prompt))])
            .Reporting(opened);
    }

    private static ChatStep Refuse(ChatState state, ClientWired e)
    {
        var client = new Client(e.Id, e.Arrival.RemoteAddress, e.Inbox);
        return new ChatStep(state, [new Send(client, ShuttingDown), new Close(client)])
            .Reporting(new ConnectionOpened(e.Id, client.RemoteAddress), new ConnectionClosed(e.Id, null, DisconnectReason.Shutdown));
    }

    // Everyone gets the closing line after what is already queued for them, then is closed; nobody hears of
    // anybody leaving.
    private static ChatStep Stop(ChatState state) => new(
        ChatState.Empty(state.Options) with { Stopping = true },
        [.. state.Connections.Values.SelectMany(c => new Delivery[] { new Send(c, ShuttingDown), new Close(c) })],
        [.. state.Connections.Values.Select(c => new ConnectionClosed(c.Id, c.Name, DisconnectReason.Shutdown))]);

    private static ChatStep Receive(ChatState state, TimedLine e)
    {
        if (!state.Connections.TryGetValue(e.Id, out var client))
        {
            return ChatStep.Unchanged(state);
        }

        // Every complete line takes a token, an over-long one too, but an over-long line only ever draws the
        // line-length error (PROTOCOL.md, Limits and bad input: send rate).
        var line = e.Line.Line;
        var taken = true;
        if (state.Options.RateLimit > 0)
        {
            (var bucket, taken) = client.Rate.Take(e.At, state.Options.RateLimit, Math.Max(1, state.Options.RateBurst));
            var warn = !taken && !line.IsTooLong && !bucket.Warned;
            var accepted = taken && !line.IsTooLong;
            client = client with { Rate = bucket with { Warned = (bucket.Warned || warn) && !accepted } };
            state = state with { Connections = state.Connections.SetItem(client.Id, client) };
            if (warn)
            {
                return Reply(state, client, "error: slow down");
            }
        }

        if (line.IsTooLong)
        {
            return Reply(state, client, $"error: line too long (at most {state.Options.MaxLineLength} bytes)");
        }

        if (!taken)
        {
            return ChatStep.Unchanged(state);
        }

        var text = Sanitiser.Sanitise(line.Text);
        return client.IsNamed ? Chat(state, client, text) : Enter(state, client, text);
    }

    // An error line for the client; the prompt follows while it is entering.
    private static ChatStep Reply(ChatState state, Client client, string error) =>
        new(state, client.IsNamed ? [new Send(client, new(error))] : [new Send(client, new(error)), new Send(client, new(Prompt))]);

    private static ChatStep Enter(ChatState state, Client client, string text)
    {
        var name = text.Trim();
        if (name.Length == 0)
        {
            name = client.RemoteAddress;
        }
        else if (ClientNames.Validate(name) is { } error)
        {
            return Reply(state, client, error);
        }

        if (state.Names.ContainsKey(name))
        {
            return Reply(state, client, $"error: name '{name}' is taken");
        }

        var named = client with { Name = name, Arrival = state.NextArrival };
        var next = state with
        {
            Connections = state.Connections.SetItem(client.Id, named),
            Names = state.Names.Add(name, client.Id),
            Roster = state.Roster.Add(named.Arrival, client.Id),
            NextArrival = state.NextArrival + 1,
        };

        // The others hear of the newcomer before it joins the broadcast, so it never hears of itself.
        return new ChatStep(next,
        [
            new Broadcast(new($"{name} has arrived")),
            new Send(named, new($"You are {name}")),
            new Send(named, new($"Current clients: {string.Join(", ", next.RosterNames)}")),
            new Join(named),
        ]).Reporting(new ClientEntered(client.Id, name));
    }

    // PROTOCOL.md, Chatting and Commands: a line starting with '/' is a command, but "//TEXT" says "/TEXT".
    private static ChatStep Chat(ChatState state, Client client, string text) => text switch
    {
        "" => ChatStep.Unchanged(state),
        ['/', '/', ..] => Say(state, client, text[1..]),
        ['/', ..] => Commands.Run(state, client, text),
        _ => Say(state, client, text),
    };

    private static ChatStep Say(ChatState state, Client client, string text) =>
        new ChatStep(state, [new Broadcast(new($"{client.Name}: {text}"))])
            .Reporting(new MessageSent(client.Id, client.Name!, text, MessageKind.Chat));

    private static ChatStep Leave(ChatState state, ClientLeft e)
    {
        if (!state.Connections.TryGetValue(e.Id, out var client))
        {
            return ChatStep.Unchanged(state);
        }

        var next = state with { Connections = state.Connections.Remove(e.Id) };
        var deliveries = ImmutableArray.CreateBuilder<Delivery>(3);
        if (e.Reason == DisconnectReason.Idle)
        {
            deliveries.Add(new Send(client, Idle));
        }

        // Closed first: the leaver is out of the broadcast before its departure is announced.
        deliveries.Add(new Close(client));
        if (client.IsNamed)
        {
            next = next with { Names = next.Names.Remove(client.Name!), Roster = next.Roster.Remove(client.Arrival) };
            deliveries.Add(new Broadcast(new($"{client.Name} has left")));
        }

        return new ChatStep(next, deliveries.DrainToImmutable()).Reporting(new ConnectionClosed(client.Id, client.Name, e.Reason));
    }
}
