using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The node's own rules, applied before the room's log (PROTOCOL.md, Rooms across nodes: limits are each node's
/// own): the connection limit, the send rate and the line length. <see cref="Admit"/> folds this node's events and
/// says what goes to the room and what stays here (a refusal, an error line for the sender, the stop). Total and
/// pure, like <see cref="ChatRules.Apply"/>; the texts are PROTOCOL.md's.
/// </summary>
internal static class NodeRules
{
    public static NodeStep Admit(NodeState state, ChatEvent e) => e switch
    {
        ClientWired wired when state.Stopping => Keep(state, wired with { Refused = DisconnectReason.Shutdown }),
        ClientWired wired when state.Options.MaxClients > 0 && state.Buckets.Count >= state.Options.MaxClients =>
            Keep(state, wired with { Refused = DisconnectReason.ServerFull }),
        ClientWired wired => Send(state with { Buckets = state.Buckets.SetItem(wired.Id, default) }, wired),
        _ when state.Stopping => new(state, []),
        TimedLine line => Receive(state, line),
        ClientLeft left when state.Buckets.ContainsKey(left.Id) => Send(state with { Buckets = state.Buckets.Remove(left.Id) }, left),
        ClientLeft => new(state, []),

        // The stop: this node's connections hear of it here; the room hears that the node is gone.
        ServerStopping stopping => new(state with { Stopping = true }, [new(stopping, Local: true), new(new NodeStopped(), Local: false)]),
        _ => new(state, []),
    };

    private static NodeStep Send(NodeState state, ChatEvent e) => new(state, [new(e, Local: false)]);

    private static NodeStep Keep(NodeState state, ChatEvent e) => new(state, [new(e, Local: true)]);

    private static NodeStep Receive(NodeState state, TimedLine e)
    {
        if (!state.Buckets.TryGetValue(e.Id, out var bucket))
        {
            return new(state, []);
        }

        // Every complete line takes a token, an over-long one too, but an over-long line only ever draws the
        // line-length error (PROTOCOL.md, Limits and bad input: send rate).
        var line = e.Line.Line;
        var taken = true;
        if (state.Options.RateLimit > 0)
        {
            (bucket, taken) = bucket.Take(e.At, state.Options.RateLimit, Math.Max(1, state.Options.RateBurst));
            var warn = !taken && !line.IsTooLong && !bucket.Warned;
            var accepted = taken && !line.IsTooLong;
            state = state with { Buckets = state.Buckets.SetItem(e.Id, bucket with { Warned = (bucket.Warned || warn) && !accepted }) };
            if (warn)
            {
                return Keep(state, new LineRefused(e.Id, ErrorKind.SlowDown, "error: slow down"));
            }
        }

        if (line.IsTooLong)
        {
            return Keep(state, new LineRefused(e.Id, ErrorKind.LineTooLong, $"error: line too long (at most {state.Options.MaxLineLength} bytes)"));
        }

        // A line that only shows the client is there (IRC's PONG) has done its work by arriving: it kept the
        // connection from idling and took its token; the room has nothing to order.
        return taken && e.Line.Line.Command is not Echo { Lines.IsEmpty: true } ? Send(state, e.Line) : new(state, []);
    }
}

/// <summary>The node's own state before the log: its admitted connections' send-rate buckets, and whether it stops.</summary>
/// <param name="Options">The node's limits.</param>
/// <param name="Buckets">This node's admitted, open connections and their token buckets.</param>
/// <param name="Stopping">The node is shutting down: nothing more goes to the room.</param>
internal sealed record NodeState(ChatServerOptions Options, ImmutableDictionary<ConnectionId, TokenBucket> Buckets, bool Stopping = false)
{
    public static NodeState Empty(ChatServerOptions options) => new(options, ImmutableDictionary<ConnectionId, TokenBucket>.Empty);
}

/// <summary>One step of the node's rules: the state after an event, and what leaves for the log.</summary>
internal sealed record NodeStep(NodeState State, ImmutableArray<Admitted> Admitted);
