def body(response) -> bytes:
    """The bytes of a file download (a streamed response) or of any other."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content
