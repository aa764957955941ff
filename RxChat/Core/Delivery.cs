namespace RxChat.Core;

/// <summary>What the fold decided to send; the broadcaster carries it out in order after each step.</summary>
internal abstract record Delivery;

/// <summary>To every named client (the broadcast subject).</summary>
internal sealed record Broadcast(OutgoingLine Line) : Delivery;

/// <summary>To one connection only.</summary>
internal sealed record Send(Client To, OutgoingLine Line) : Delivery;

/// <summary>The client starts following the broadcast.</summary>
internal sealed record Join(Client Client) : Delivery;

/// <summary>The client stops following the broadcast and stays connected (IRC's <c>PART</c>).</summary>
internal sealed record Part(Client Client) : Delivery;

/// <summary>The connection gets nothing more; its writer completes after what was sent.</summary>
internal sealed record Close(Client Client) : Delivery;
