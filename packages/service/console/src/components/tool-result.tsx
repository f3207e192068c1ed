import type { CallToolResult } from '@modelcontextprotocol/client';

/** A tool's answer as the model would see it: its content blocks, structured content, and error flag. */
export function ToolResult({ result }: { result: CallToolResult }) {
  return (
    <section
      class={result.isError ? 'card result tool-error' : 'card result'}
      aria-labelledby="result-heading"
    >
      <h3 id="result-heading">{result.isError ? 'The tool reported an error' : 'Result'}</h3>
      {result.content.map((block, index) => {
        switch (block.type) {
          case 'text':
            return <pre key={index}>{block.text}</pre>;
          case 'image':
            return (
              <img
                key={index}
                src={`data:${block.mimeType};base64,${block.data}`}
                alt={`Image ${index + 1} from the tool`}
              />
            );
          case 'audio':
            return (
              <audio
                key={index}
                controls
                src={`data:${block.mimeType};base64,${block.data}`}
                aria-label={`Audio ${index + 1} from the tool`}
              />
            );
          case 'resource':
            return (
              <div key={index}>
                <p>
                  Resource <code>{block.resource.uri}</code>
                </p>
                {'text' in block.resource ? (
                  <pre>{String(block.resource.text)}</pre>
                ) : (
                  <p class="hint">Binary content ({block.resource.mimeType ?? 'unknown type'})</p>
                )}
              </div>
            );
          case 'resource_link':
            return (
              <p key={index}>
                Link to resource {block.name}: <code>{block.uri}</code>
              </p>
            );
          default:
            return <pre key={index}>{JSON.stringify(block, null, 2)}</pre>;
        }
      })}
      {result.structuredContent !== undefined && (
        <>
          <h4>Structured content</h4>
          <pre>{JSON.stringify(result.structuredContent, null, 2)}</pre>
        </>
      )}
    </section>
  );
}
