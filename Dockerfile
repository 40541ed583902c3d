FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY cli ./cli
COPY queues ./queues
COPY workers ./workers
COPY dashboard ./dashboard
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm ci && npm prune --omit=dev
USER node
CMD ["node", "dist/cli/main.js", "start"]
