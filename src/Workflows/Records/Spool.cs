namespace AomoriReform.Workflows.Records;

/// <summary>
/// Takes writes in memory (sync or async) until drained to the output, asynchronously: a ZIP's
/// compressor writes synchronously, which a server's response does not allow. With a hash, every
/// byte drained is also added to it (the SHA-256 of what was sent).
/// </summary>
internal sealed class Spool(Stream output, System.Security.Cryptography.IncrementalHash? hash = null) : Stream
{
    private readonly MemoryStream buffer = new();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (buffer.Length > 0)
        {
            hash?.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
            await output.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
            buffer.SetLength(0);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => this.buffer.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => this.buffer.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        this.buffer.Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        this.buffer.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
