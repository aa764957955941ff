using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>One step of the fold: the state after an event, and what to send because of it.</summary>
internal sealed record ChatStep(ChatState State, ImmutableArray<Delivery> Deliveries)
{
    public static ChatStep Unchanged(ChatState state) => new(state, []);
}
