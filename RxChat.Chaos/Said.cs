namespace RxChat.Chaos;

/// <summary>A chat line sent.</summary>
/// <param name="N">Its number in the session.</param>
/// <param name="At">When (seconds from the start of the run).</param>
internal sealed record Said(int N, double At);
