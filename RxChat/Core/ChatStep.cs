using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>One step of the fold: the state after an event, what to send because of it, and what to report.</summary>
internal sealed record ChatStep(ChatState State, ImmutableArray<Delivery> Deliveries, ImmutableArray<ServerEvent> Events = default)
{
    public static ChatStep Unchanged(ChatState state) => new(state, []);

    /// <summary>The step with <paramref name="e"/> reported after its own events.</summary>
    public ChatStep Reporting(params ReadOnlySpan<ServerEvent> e) => this with { Events = [.. Reported, .. e] };

    public ImmutableArray<ServerEvent> Reported => Events.IsDefault ? [] : Events;

    /// <summary>This step followed by the step <paramref name="next"/> makes from its state: both steps' deliveries and events, in order.</summary>
    public ChatStep Then(Func<ChatState, ChatStep> next)
    {
        var after = next(State);
        return new ChatStep(after.State, [.. Deliveries, .. after.Deliveries], [.. Reported, .. after.Reported]);
    }
}
