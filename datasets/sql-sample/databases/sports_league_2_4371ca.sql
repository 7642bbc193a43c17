CREATE TABLE teams (id INTEGER PRIMARY KEY, team_name VARCHAR NOT NULL, division VARCHAR NOT NULL, founded_year INTEGER NOT NULL, stadium_capacity INTEGER NOT NULL);
CREATE TABLE players (id INTEGER PRIMARY KEY, first_name VARCHAR NOT NULL, last_name VARCHAR NOT NULL, team_id INTEGER REFERENCES teams(id), playing_position VARCHAR NOT NULL, birth_date DATE NOT NULL, height_cm INTEGER NOT NULL, annual_salary DECIMAL(12, 2) NOT NULL, is_captain BOOLEAN NOT NULL);
CREATE TABLE matches (id INTEGER PRIMARY KEY, home_team_id INTEGER NOT NULL REFERENCES teams(id), away_team_id INTEGER NOT NULL REFERENCES teams(id), match_date DATE NOT NULL, home_goals INTEGER NOT NULL, away_goals INTEGER NOT NULL, attendance INTEGER);
CREATE TABLE player_stats (id INTEGER PRIMARY KEY, match_id INTEGER NOT NULL REFERENCES matches(id), player_id INTEGER NOT NULL REFERENCES players(id), minutes_played INTEGER NOT NULL, goals INTEGER NOT NULL, assists INTEGER NOT NULL, distance_km DOUBLE NOT NULL);
INSERT INTO teams
VALUES
  (1, 'Maplewood Comets', 'north', 1987, 62000),
  (2, 'Highfield Pirates', 'south', 1985, 5000),
  (3, 'Northgate Hawks', 'west', 1966, 7500),
  (4, 'Stonebridge Lions', 'north', 1896, 17500);
INSERT INTO players
VALUES
  (1, 'Mira', 'Abbott', 1, 'defender', '1994-07-12', 201, 1206000.00, TRUE),
  (2, 'Greta', 'Grayson', 4, 'goalkeeper', '1994-07-12', 201, 1817000.00, FALSE),
  (3, 'Wesley', 'Fontaine', 1, 'goalkeeper', '1986-12-18', 181, 146000.00, FALSE),
  (4, 'Rosa', 'Grayson', 3, 'goalkeeper', '1993-05-25', 195, 4732000.00, FALSE);
INSERT INTO matches
VALUES
  (1, 1, 3, '2024-03-04', 4, 1, 3488),
  (2, 1, 4, '2024-05-08', 3, 3, 45919),
  (3, 3, 2, '2024-01-19', 1, 4, 37424),
  (4, 2, 4, '2023-08-24', 6, 2, 54736);
INSERT INTO player_stats
VALUES
  (1, 4, 3, 18, 3, 1, 12.9),
  (2, 2, 3, 2, 0, 2, 11.5),
  (3, 2, 2, 24, 1, 2, 5.7);
