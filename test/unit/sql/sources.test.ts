import { readSqlApplication, SqlSourceError } from '../../../shared/sql/sources';

const SQL = 'CREATE OR REPLACE STREAM "S" ("k" VARCHAR(8), "n" INTEGER);';

describe('reading a KDA application from where it is kept', () => {
  it('reads a V2 template: code from CodeContent, !Join and !GetAtt short tags, a Firehose output by logical id', () => {
    const template = `
Resources:
  Scores:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamName: !Sub '\${AWS::StackName}-scores'
  App:
    Type: AWS::KinesisAnalyticsV2::Application
    Properties:
      RuntimeEnvironment: SQL-1_0
      ApplicationConfiguration:
        ApplicationCodeConfiguration:
          CodeContentType: PLAINTEXT
          CodeContent:
            TextContent: !Join
              - "\\n"
              - - 'CREATE OR REPLACE STREAM "S" ("k" VARCHAR(8),'
                - '"n" INTEGER);'
        SqlApplicationConfiguration:
          Inputs:
            - NamePrefix: SOURCE_SQL_STREAM
              InputSchema:
                RecordFormat: { RecordFormatType: CSV, MappingParameters: { CSVMappingParameters: { RecordColumnDelimiter: "|", RecordRowDelimiter: "\\n" } } }
                RecordColumns:
                  - { Name: k, SqlType: VARCHAR(8) }
                  - { Name: n, SqlType: INTEGER }
  Out:
    Type: AWS::KinesisAnalyticsV2::ApplicationOutput
    Properties:
      ApplicationName: !Ref App
      Output:
        Name: DESTINATION_SQL_STREAM
        DestinationSchema: { RecordFormatType: CSV }
        KinesisFirehoseOutput: { ResourceARN: !GetAtt Scores.Arn }
`;
    expect(readSqlApplication(template, 'stack.yml')).toEqual({
      source: 'stack.yml: App',
      sql: 'CREATE OR REPLACE STREAM "S" ("k" VARCHAR(8),\n"n" INTEGER);',
      input: {
        format: 'csv',
        columns: [
          { name: 'k', sqlType: 'VARCHAR(8)' },
          { name: 'n', sqlType: 'INTEGER' },
        ],
        delimiter: '|',
      },
      // The delivery stream's name is a !Sub the importer cannot evaluate: its logical id stands in.
      outputs: [{ stream: 'DESTINATION_SQL_STREAM', format: 'csv', firehose: 'Scores' }],
      notes: [],
    });
  });

  it('reads kinesisanalyticsv2 describe-application output', () => {
    const described = {
      ApplicationDetail: {
        ApplicationName: 'app',
        ApplicationConfigurationDescription: {
          ApplicationCodeConfigurationDescription: { CodeContentDescription: { TextContent: SQL } },
          SqlApplicationConfigurationDescription: {
            InputDescriptions: [
              {
                InputSchema: {
                  RecordFormat: { RecordFormatType: 'JSON' },
                  RecordColumns: [{ Name: 'k', Mapping: '$.key', SqlType: 'VARCHAR(8)' }],
                },
              },
            ],
            OutputDescriptions: [
              { Name: 'OUT', LambdaOutputDescription: { ResourceARN: 'arn:aws:lambda:eu-west-1:123456789012:function:f' } },
            ],
          },
        },
      },
    };
    expect(readSqlApplication(JSON.stringify(described), 'app.json')).toEqual({
      source: 'app.json: app',
      sql: SQL,
      input: { format: 'json', columns: [{ name: 'k', sqlType: 'VARCHAR(8)', mapping: '$.key' }] },
      outputs: [{ stream: 'OUT', format: 'json', lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:f' }],
      notes: [],
    });
  });

  it('reads a kinesisanalyticsv2 Terraform resource with a quoted text_content and no schema', () => {
    const tf = `resource "aws_kinesisanalyticsv2_application" "a" {\n  name = "a"\n  runtime_environment = "SQL-1_0"\n  application_configuration {\n    application_code_configuration {\n      code_content_type = "PLAINTEXT"\n      code_content {\n        text_content = "SELECT STREAM \\"k\\" FROM \\"SOURCE_SQL_STREAM_001\\";"\n      }\n    }\n  }\n}\n`;
    expect(readSqlApplication(tf, 'main.tf')).toEqual({
      source: 'main.tf',
      sql: 'SELECT STREAM "k" FROM "SOURCE_SQL_STREAM_001";',
      outputs: [],
      notes: [],
    });
  });

  it('says what is missing', () => {
    expect(() => readSqlApplication('Resources: {}', 't.yaml')).toThrow(
      new SqlSourceError('t.yaml: no AWS::KinesisAnalytics::Application (or V2) resource in the template'),
    );
    expect(() => readSqlApplication('resource "aws_s3_bucket" "b" {}', 'x.tf')).toThrow(
      'x.tf: no aws_kinesis_analytics_application resource',
    );
    expect(() => readSqlApplication('Resources: [', 't.yaml')).toThrow(/^t\.yaml: not a readable template/);
  });
});
