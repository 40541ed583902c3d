# The nianbao image: `nianbao start` (workers, watcher, dashboard) as the unprivileged user
# `node`. Built from a clean checkout: every file `npm ci` needs is copied (package files,
# tsconfig, scripts/ for prepare and the division table, bin/ for the package's bin link) and
# the sources it compiles. .ci/docker-context.mjs checks this without Docker: it copies exactly
# these files (as git has them, .dockerignore applied) into an empty folder and runs the
# install line there.
FROM node:20.18.1-bookworm-slim
# The OCR reader (on where these are installed; NIANBAO_OCR=0 switches it off): Tesseract with its Simplified-Chinese model, and poppler's
# pdftoppm, all Debian packages.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim poppler-utils \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
COPY cli ./cli
COPY queues ./queues
COPY workers ./workers
COPY dashboard ./dashboard
COPY migrations ./migrations
# The install: what .ci/docker-context.mjs runs outside Docker (keep it the one RUN with npm ci).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
# The default local folders (./data/inbox, ./data/out) belong to the user the service runs as.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
CMD ["node", "dist/cli/main.js", "start"]
