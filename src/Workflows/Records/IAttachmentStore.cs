namespace AomoriReform.Workflows.Records;

/// <summary>
/// Where the bytes of attached files live: the seam for another store. The product ships
/// <see cref="DatabaseAttachmentStore"/> (chunks of 1 MiB in the shared database, so every host
/// sees every file); an S3-compatible object store would implement the same four operations
/// (a multipart upload, a ranged GET, a DELETE and a listing). What a file is, who uploaded it and
/// its SHA-256 stay in the database (<see cref="AttachmentVersion"/>) whatever the store.
/// </summary>
public interface IAttachmentStore
{
    /// <summary>
    /// Starts a new object. Its bytes are appended in order; nothing refers to it until a version
    /// row names its key, so an upload that fails halfway leaves no file behind (it is deleted, and
    /// the sweep removes what a crash left).
    /// </summary>
    Task<IAttachmentUpload> BeginAsync(CancellationToken cancellationToken);

    /// <summary>The object's bytes as a stream that reads one chunk at a time (and seeks); null when there is no such object.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>The objects begun before <paramref name="before"/>, for the sweep of those no version names.</summary>
    Task<IReadOnlyList<string>> KeysBeganBeforeAsync(DateTime before, CancellationToken cancellationToken);
}

/// <summary>An object being written, one chunk after another.</summary>
public interface IAttachmentUpload : IAsyncDisposable
{
    string Key { get; }

    /// <summary>Appends the next chunk (each but the last exactly <see cref="DatabaseAttachmentStore.ChunkSize"/> bytes long).</summary>
    Task AppendAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken);

    /// <summary>Marks the object whole.</summary>
    Task CompleteAsync(CancellationToken cancellationToken);
}
