using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Workflows.Records;

/// <summary>An object of <see cref="DatabaseAttachmentStore"/>: its key, when it was begun and finished, its length and chunking.</summary>
public sealed class StoredObject
{
    public required string Key { get; set; }
    public DateTime BeganAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public long Length { get; set; }
    public int ChunkSize { get; set; }
    public int Chunks { get; set; }
}

/// <summary>One chunk of an object: PostgreSQL <c>bytea</c>, SQLite <c>BLOB</c>, at most <see cref="DatabaseAttachmentStore.ChunkSize"/> bytes.</summary>
public sealed class StoredChunk
{
    public required string ObjectKey { get; set; }
    public int Index { get; set; }
    public required byte[] Data { get; set; }
}

/// <summary>
/// The attached files' bytes in the shared database, in rows of 1 MiB: PostgreSQL <c>bytea</c>
/// (stored out of line without compression: the files are mostly compressed already) or SQLite blobs in the embedded default. Each chunk is
/// written in its own short transaction (SQLite's one writer is never held for a whole upload) on
/// a context of its own, and read back one chunk at a time, so a file is never whole in memory.
/// </summary>
public sealed class DatabaseAttachmentStore(IServiceScopeFactory scopes, TimeProvider time) : IAttachmentStore
{
    public const int ChunkSize = 1 << 20;

    public async Task<IAttachmentUpload> BeginAsync(CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
            var now = time.GetUtcNow();
            var stored = new StoredObject { Key = Guid.CreateVersion7(now).ToString("N"), BeganAt = now.UtcDateTime, ChunkSize = ChunkSize };
            db.StoredObjects.Add(stored);
            await db.SaveChangesAsync(cancellationToken);
            return new Upload(scope, db, stored, time);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        var stored = await db.StoredObjects.AsNoTracking().Where(o => o.Key == key && o.CompletedAt != null).Select(o => new { o.Length, o.ChunkSize }).SingleOrDefaultAsync(cancellationToken);
        if (stored is null)
        {
            await scope.DisposeAsync();
            return null;
        }

        return new ChunkStream(scope, db, key, stored.Length, stored.ChunkSize);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        await db.StoredChunks.Where(c => c.ObjectKey == key).ExecuteDeleteAsync(cancellationToken);
        await db.StoredObjects.Where(o => o.Key == key).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> KeysBeganBeforeAsync(DateTime before, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        return await db.StoredObjects.AsNoTracking().Where(o => o.BeganAt < before).Select(o => o.Key).ToListAsync(cancellationToken);
    }

    private sealed class Upload(AsyncServiceScope scope, ReformDbContext db, StoredObject stored, TimeProvider time) : IAttachmentUpload
    {
        public string Key => stored.Key;

        public async Task AppendAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
        {
            var row = new StoredChunk { ObjectKey = stored.Key, Index = stored.Chunks, Data = chunk.ToArray() };
            db.StoredChunks.Add(row);
            stored.Chunks++;
            stored.Length += chunk.Length;
            await db.SaveChangesAsync(cancellationToken);
            // Forget the bytes: the context keeps only the object's row.
            db.Entry(row).State = EntityState.Detached;
        }

        public async Task CompleteAsync(CancellationToken cancellationToken)
        {
            stored.CompletedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(cancellationToken);
        }

        public ValueTask DisposeAsync() => scope.DisposeAsync();
    }

    /// <summary>Reads an object chunk by chunk, from whichever chunk a seek lands in; one chunk in memory at a time.</summary>
    private sealed class ChunkStream(AsyncServiceScope scope, ReformDbContext db, string key, long length, int chunkSize) : Stream
    {
        private long position;
        private int cachedIndex = -1;
        private byte[] cached = [];

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => position;
            set => position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (position >= length || buffer.Length == 0)
            {
                return 0;
            }

            var index = (int)(position / chunkSize);
            if (index != cachedIndex)
            {
                Load(index, db.StoredChunks.AsNoTracking().Where(c => c.ObjectKey == key && c.Index == index).Select(c => c.Data).SingleOrDefault());
            }

            return Copy(buffer);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position >= length || buffer.Length == 0)
            {
                return 0;
            }

            var index = (int)(position / chunkSize);
            if (index != cachedIndex)
            {
                Load(index, await db.StoredChunks.AsNoTracking().Where(c => c.ObjectKey == key && c.Index == index).Select(c => c.Data).SingleOrDefaultAsync(cancellationToken));
            }

            return Copy(buffer.Span);
        }

        private void Load(int index, byte[]? data)
        {
            var expected = (int)Math.Min(chunkSize, length - ((long)index * chunkSize));
            if (data is null || data.Length != expected)
            {
                throw new InvalidDataException($"Chunk {index} of stored object {key} is missing or of the wrong length.");
            }

            cached = data;
            cachedIndex = index;
        }

        private int Copy(Span<byte> buffer)
        {
            var offset = (int)(position - ((long)cachedIndex * chunkSize));
            var count = Math.Min(buffer.Length, cached.Length - offset);
            cached.AsSpan(offset, count).CopyTo(buffer);
            position += count;
            return count;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                scope.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await scope.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
