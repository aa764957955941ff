namespace RxChat.Tests.Support;

/// <summary>How <see cref="TcpProxy.Cut"/> cuts the path through the proxy (public: a test case takes it).</summary>
public enum CutMode
{
    /// <summary>
    /// A path gone silent (a cable pulled, a firewall dropping packets): every connection stays open and carries
    /// nothing either way, and a new one is accepted and carries nothing; nobody is told. After
    /// <see cref="TcpProxy.Restore"/> what waited goes on, as TCP retransmits once a path heals.
    /// </summary>
    Silent,

    /// <summary>A path that refuses: every connection is reset (RST) at once, and so is each new one until restored.</summary>
    Reset,
}
