-- Tickets reference the hardware assets they are about; an asset's page lists its tickets.
CREATE TABLE ticket_assets (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    asset_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, asset_id)
);
CREATE INDEX ticket_assets_asset ON ticket_assets (asset_id, ticket_id);
