// What both halves of the conformance reference server (2025 era on SDK v1, 2026-07-28 on SDK v2) answer
// the same way: the tools whose result is fixed content.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

// A 1x1 red PNG and a one-sample WAV: the smallest real files of each kind.
export const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
export const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==';

/** The conformance scenarios' content tools: name, description and the result each returns. */
export const CONTENT_TOOLS: Record<string, { description: string; result: CallToolResult }> = {
  test_simple_text: {
    description: 'Returns simple text',
    result: { content: [{ type: 'text', text: 'This is a simple text response for testing.' }] },
  },
  test_image_content: {
    description: 'Returns an image',
    result: { content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] },
  },
  test_audio_content: {
    description: 'Returns audio',
    result: { content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] },
  },
  test_embedded_resource: {
    description: 'Returns an embedded resource',
    result: {
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    },
  },
  test_multiple_content_types: {
    description: 'Returns mixed content',
    result: {
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    },
  },
};
